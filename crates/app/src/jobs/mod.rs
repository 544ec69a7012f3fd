//! Every background job, in one list and started from one place ([`start`]). A job is a loop
//! that runs until its task is aborted; each step logs its failure and the loop carries on.
//!
//! Which jobs a node runs follows from its role (`Settings::role`): every node that serves
//! requests keeps its own search index (the indexer runs beside the web server), while the
//! desk's work — the sweep, delivery, mail polling and the bot's retries — runs on nodes with
//! the jobs role. A new job is a file here and a variant of [`Job`].

pub mod bot_retries;
pub mod call_control;
pub mod delivery;
pub mod indexer;
pub mod mail_polling;
pub mod sweep;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::App;

/// What a node does: serve the console, API and webhooks, run the desk's background jobs, or
/// both (one process on day one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    #[default]
    All,
    Web,
    Jobs,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::All => "all",
            NodeRole::Web => "web",
            NodeRole::Jobs => "jobs",
        }
    }

    /// Whether the node serves the console, API, public pages and webhooks.
    pub fn serves_web(self) -> bool {
        self != NodeRole::Jobs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// This node's search index (`indexer`).
    Indexer,
    /// Routing's safety net, SLA breaches, pruning (`sweep`).
    Sweep,
    /// Replies from the outbox to their channels (`delivery`).
    Delivery,
    /// Shops' mailboxes over IMAP (`mail_polling`).
    MailPolling,
    /// Bot turns a stopped server never took (`bot_retries`).
    BotRetries,
    /// Commands to the telephony provider about live calls (`call_control`).
    CallControl,
}

impl Job {
    pub const ALL: [Job; 6] =
        [Job::Indexer, Job::Sweep, Job::Delivery, Job::MailPolling, Job::BotRetries, Job::CallControl];

    pub fn name(self) -> &'static str {
        match self {
            Job::Indexer => "indexer",
            Job::Sweep => "sweep",
            Job::Delivery => "delivery",
            Job::MailPolling => "mail_polling",
            Job::BotRetries => "bot_retries",
            Job::CallControl => "call_control",
        }
    }

    /// The jobs a node of `role` runs.
    pub fn for_role(role: NodeRole) -> Vec<Job> {
        Job::ALL
            .into_iter()
            .filter(|j| match j {
                // Searches are answered from the node's own index.
                Job::Indexer => role.serves_web(),
                _ => role != NodeRole::Web,
            })
            .collect()
    }

    fn spawn(self, st: &App) -> anyhow::Result<JoinHandle<()>> {
        let store = st.store.clone();
        Ok(match self {
            Job::Indexer => tokio::spawn(indexer::run(store, st.search.clone())),
            Job::Sweep => tokio::spawn(sweep::run(
                store,
                Duration::from_secs(st.settings.sweep_seconds.max(1)),
                st.settings.presence_timeouts(),
            )),
            Job::Delivery => {
                let delivery = Arc::new(delivery::Delivery::new(store, &st.settings, st.chat.clone())?);
                tokio::spawn(delivery.run())
            }
            Job::MailPolling => {
                let imap = madoguchi_channels::email::imap::ImapClient::new(st.settings.tls_ca_file.as_deref())?;
                let every = Duration::from_secs(st.settings.imap_poll_seconds.max(1));
                tokio::spawn(mail_polling::run(st.clone(), every, imap))
            }
            Job::BotRetries => tokio::spawn(bot_retries::run(st.clone(), Duration::from_secs(15))),
            Job::CallControl => tokio::spawn(call_control::CallControl::new(st).run()),
        })
    }
}

/// The running jobs of this node; dropping it stops them.
pub struct Jobs(Vec<(Job, JoinHandle<()>)>);

impl Jobs {
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|(j, _)| j.name()).collect()
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        for (_, task) in &self.0 {
            task.abort();
        }
    }
}

/// Starts the jobs of this node's role.
pub fn start(st: &App) -> anyhow::Result<Jobs> {
    let mut running = Jobs(Vec::new());
    for job in Job::for_role(st.settings.role) {
        running.0.push((job, job.spawn(st)?));
    }
    tracing::info!(role = st.settings.role.as_str(), jobs = ?running.names(), "background jobs started");
    Ok(running)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_runs_its_jobs_and_every_job_runs_somewhere() {
        let names = |r| Job::for_role(r).into_iter().map(Job::name).collect::<Vec<_>>();
        assert_eq!(
            names(NodeRole::All),
            ["indexer", "sweep", "delivery", "mail_polling", "bot_retries", "call_control"]
        );
        assert_eq!(names(NodeRole::Web), ["indexer"]);
        assert_eq!(names(NodeRole::Jobs), ["sweep", "delivery", "mail_polling", "bot_retries", "call_control"]);
    }
}
