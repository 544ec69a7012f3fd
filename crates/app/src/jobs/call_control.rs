//! The call-control worker: takes due commands about live calls (ring an agent, stop a ring,
//! put the caller through, copy a finished recording) and has the provider that carries the
//! call do them. A command is
//! marked sent only once the provider took it; one a crash interrupted is taken again when its
//! lease runs out. Each provider is a [`Carrier`], so a PBX or a native SIP path can take the
//! same commands later.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use madoguchi_channels::delivery::DeliveryError;
use madoguchi_channels::voice::twilio_api::{Account, Dial, TwilioApi, Update};
use madoguchi_core::access::Scope;
use madoguchi_core::voice::call::CallState;
use madoguchi_core::voice::control::{CallCommand, client_identity};
use madoguchi_store::Store;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::voice::calls::Call;
use madoguchi_store::voice::control::CommandItem;
use madoguchi_store::voice::numbers::PhoneNumber;

use crate::App;

/// How long a worker holds a command while sending it.
const LEASE_SECS: i64 = 20;

/// A live call the desk has heard nothing about for this long is asked about at the provider
/// (a call in the queue is heard from every few seconds; a talk may be long and quiet).
const QUIET_SECS: i64 = 300;
const RECONCILE_EVERY: Duration = Duration::from_secs(60);

/// The largest recording copied: two hours of Twilio's mono MP3 (32 kbit/s) is under 30 MB.
const MAX_RECORDING_BYTES: usize = 64 * 1024 * 1024;

/// A provider that carries calls and takes commands about them.
pub trait Carrier: Send + Sync {
    /// Does `command` on `call` (to `number`'s account); `Ok` carries the leg placed, if any.
    fn send<'a>(
        &'a self,
        call: &'a Call,
        number: &'a PhoneNumber,
        command: &'a CallCommand,
        store: &'a Store,
    ) -> BoxFuture<'a, Result<Option<String>, DeliveryError>>;

    /// How the provider says the call stands (its own words, e.g. `completed`); `None` when it
    /// does not know the call.
    fn status<'a>(
        &'a self,
        call: &'a Call,
        number: &'a PhoneNumber,
    ) -> BoxFuture<'a, Result<Option<String>, DeliveryError>>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Twilio (and providers speaking its REST API): agents are rung as `client:` identities of
/// the browser phone, the caller moved by redirecting their call to the desk's TwiML.
pub struct TwilioCarrier {
    api: TwilioApi,
    public_base: String,
}

impl TwilioCarrier {
    fn url(&self, number: &PhoneNumber, query: &str) -> String {
        format!("{}/api/v1/inbound/voice/twilio/{}?{query}", self.public_base, number.inbound_token)
    }

    async fn run(
        &self,
        call: &Call,
        number: &PhoneNumber,
        command: &CallCommand,
        store: &Store,
    ) -> Result<Option<String>, DeliveryError> {
        let (Some(sid), Some(token)) = (number.account_sid.as_deref(), number.auth_token.as_deref()) else {
            return Err(DeliveryError::permanent(format!("{} has no Twilio account SID and Auth Token", number.e164)));
        };
        let account = Account { sid, auth_token: token };
        match command {
            CallCommand::RingAgent { agent, ring_seconds } => {
                // Taken back or answered elsewhere before this was sent: nobody to ring.
                if call.state != CallState::Ringing || call.offered_to != Some(*agent) {
                    return Ok(None);
                }
                let to = format!("client:{}", client_identity(*agent));
                let leg = format!("call={}&agent={}", call.id.0, agent.0);
                let url = self.url(number, &format!("e=agent&{leg}"));
                let status = self.url(number, &format!("e=agent_status&{leg}"));
                let d = Dial {
                    to: &to,
                    from: &call.to_e164,
                    url: &url,
                    status_callback: &status,
                    timeout_seconds: *ring_seconds,
                };
                let placed = self.api.create_call(&account, &d).await?;
                store
                    .add_call_leg(call.merchant_id, call.id, "agent", Some(*agent), &placed)
                    .await
                    .map_err(|e| DeliveryError::retry(format!("store: {e}")))?;
                Ok(Some(placed))
            }
            CallCommand::CancelRing { agent } => {
                let leg =
                    store.agent_leg(call.id, *agent).await.map_err(|e| DeliveryError::retry(format!("store: {e}")))?;
                let Some(leg) = leg else { return Ok(None) };
                self.api.update_call(&account, &leg, &Update::End { ringing: true }).await?;
                Ok(None)
            }
            CallCommand::BridgeCaller | CallCommand::HoldCaller { hold: false } => {
                let url = self.url(number, "e=bridge");
                self.api.update_call(&account, &call.provider_call_id, &Update::Redirect { url: &url }).await?;
                Ok(None)
            }
            CallCommand::RequeueCaller | CallCommand::TransferCaller => {
                let event = if *command == CallCommand::RequeueCaller { "e=requeue" } else { "e=transfer_out" };
                let url = self.url(number, event);
                self.api.update_call(&account, &call.provider_call_id, &Update::Redirect { url: &url }).await?;
                Ok(None)
            }
            CallCommand::EndAgentLeg { agent } => {
                let leg =
                    store.agent_leg(call.id, *agent).await.map_err(|e| DeliveryError::retry(format!("store: {e}")))?;
                if let Some(leg) = leg {
                    self.api.update_call(&account, &leg, &Update::End { ringing: false }).await?;
                }
                Ok(None)
            }
            CallCommand::HoldCaller { hold: true } => {
                let url = self.url(number, "e=held");
                self.api.update_call(&account, &call.provider_call_id, &Update::Redirect { url: &url }).await?;
                Ok(None)
            }
            CallCommand::FetchRecording { sid, url, seconds } => {
                let data = self.api.fetch_recording(&account, url, MAX_RECORDING_BYTES).await?;
                let file = NewBlob { filename: format!("{sid}.mp3"), content_type: "audio/mpeg".into(), data };
                store
                    .store_recording(call.id, sid, *seconds, &file)
                    .await
                    .map_err(|e| DeliveryError::retry(format!("store: {e}")))?;
                Ok(None)
            }
            CallCommand::HangUp => {
                let end = Update::End { ringing: false };
                self.api.update_call(&account, &call.provider_call_id, &end).await?;
                if let Some(agent) = call.agent_id {
                    let leg = store
                        .agent_leg(call.id, agent)
                        .await
                        .map_err(|e| DeliveryError::retry(format!("store: {e}")))?;
                    if let Some(leg) = leg {
                        self.api.update_call(&account, &leg, &end).await?;
                    }
                }
                Ok(None)
            }
        }
    }
}

impl Carrier for TwilioCarrier {
    fn send<'a>(
        &'a self,
        call: &'a Call,
        number: &'a PhoneNumber,
        command: &'a CallCommand,
        store: &'a Store,
    ) -> BoxFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(self.run(call, number, command, store))
    }

    fn status<'a>(
        &'a self,
        call: &'a Call,
        number: &'a PhoneNumber,
    ) -> BoxFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move {
            let (Some(sid), Some(token)) = (number.account_sid.as_deref(), number.auth_token.as_deref()) else {
                return Err(DeliveryError::permanent(format!(
                    "{} has no Twilio account SID and Auth Token",
                    number.e164
                )));
            };
            self.api.call_status(&Account { sid, auth_token: token }, &call.provider_call_id).await
        })
    }
}

pub struct CallControl {
    store: Store,
    twilio: Arc<dyn Carrier>,
}

impl CallControl {
    pub fn new(app: &App) -> CallControl {
        let carrier = TwilioCarrier {
            api: TwilioApi::new(app.http.clone(), &app.settings.twilio_api_base),
            public_base: app.settings.public_base(),
        };
        CallControl { store: app.store.clone(), twilio: Arc::new(carrier) }
    }

    /// Sends due commands until there are none, then waits a moment; runs until dropped.
    /// Once a minute it also asks the provider about calls it has heard nothing of.
    pub async fn run(self) {
        let mut reconciled = std::time::Instant::now();
        loop {
            if reconciled.elapsed() >= RECONCILE_EVERY {
                reconciled = std::time::Instant::now();
                if let Err(e) = self.reconcile(Utc::now()).await {
                    tracing::warn!(error = ?e, "live calls could not be reconciled");
                }
            }
            match self.store.claim_call_command(Utc::now(), chrono::Duration::seconds(LEASE_SECS)).await {
                Ok(Some(item)) => self.attempt(item).await,
                // A ring waits at most this long to start.
                Ok(None) => tokio::time::sleep(Duration::from_millis(150)).await,
                Err(e) => {
                    tracing::warn!(error = ?e, "call commands could not be read");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    /// Asks the provider about the live calls the desk has heard nothing of for
    /// [`QUIET_SECS`]: one that is over there (its last status callback was lost) is ended
    /// here as its caller's going would have ended it, so its agent is not held on it for
    /// ever; one still up is asked about again after another quiet spell. Returns how many
    /// were ended.
    pub async fn reconcile(&self, now: chrono::DateTime<Utc>) -> Result<usize, madoguchi_store::StoreError> {
        let quiet = now - chrono::Duration::seconds(QUIET_SECS);
        let mut ended = 0;
        for id in self.store.quiet_calls(crate::usecases::voice::twilio::PROVIDER, quiet, 100).await? {
            let call = self.store.get_call(&Scope::All, id).await?;
            let Ok(number) = self.number_of(&call).await else {
                // Nobody to ask (the number was removed): set aside for another quiet spell, so
                // it does not crowd out the calls that can be asked about.
                self.store.call_still_live(call.id, now).await?;
                continue;
            };
            match self.twilio.status(&call, &number).await {
                Ok(Some(s)) if matches!(s.as_str(), "queued" | "ringing" | "in-progress") => {
                    self.store.call_still_live(call.id, now).await?;
                }
                Ok(status) => {
                    let status = status.unwrap_or_else(|| "failed".to_owned());
                    tracing::warn!(call = %call.id, status, "a call's end was never reported; ended now");
                    if let Err(e) = crate::usecases::voice::agents::caller_gone(&self.store, &call, &status).await {
                        tracing::warn!(call = %call.id, error = ?e, "a quiet call could not be ended");
                        continue;
                    }
                    ended += 1;
                }
                Err(e) => {
                    tracing::warn!(call = %call.id, error = %e.message, "the provider could not be asked about a call");
                    self.store.call_still_live(call.id, now).await?;
                }
            }
        }
        Ok(ended)
    }

    async fn number_of(&self, call: &Call) -> Result<PhoneNumber, DeliveryError> {
        let store_err = |e: madoguchi_store::StoreError| DeliveryError::retry(format!("store: {e}"));
        let Some(number_id) = call.phone_number_id else {
            return Err(DeliveryError::permanent("the call has no number to act for"));
        };
        let numbers = self.store.phone_numbers(&Scope::All, call.merchant_id).await.map_err(store_err)?;
        numbers
            .into_iter()
            .find(|n| n.id == number_id)
            .ok_or_else(|| DeliveryError::permanent("the call's number was removed"))
    }

    async fn attempt(&self, item: CommandItem) {
        let name = item.command.name();
        let recorded = match self.send(&item).await {
            Ok(placed) => {
                metrics::counter!("madoguchi_call_commands_total", "command" => name, "result" => "sent").increment(1);
                self.store.call_command_sent(&item, placed.as_deref()).await
            }
            Err(e) => {
                metrics::counter!("madoguchi_call_commands_total", "command" => name, "result" => "failed")
                    .increment(1);
                tracing::warn!(call = %item.call_id, command = name, attempt = item.attempts, permanent = e.permanent, error = %e.message, "call command failed");
                self.store.call_command_failed(&item, &e.message, e.permanent).await.map(|_| ())
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = ?e, call = %item.call_id, "call command outcome could not be recorded");
        }
    }

    async fn send(&self, item: &CommandItem) -> Result<Option<String>, DeliveryError> {
        let store_err = |e: madoguchi_store::StoreError| DeliveryError::retry(format!("store: {e}"));
        let call = self.store.get_call(&Scope::All, item.call_id).await.map_err(store_err)?;
        let number = self.number_of(&call).await?;
        match number.provider.as_str() {
            "twilio" => self.twilio.send(&call, &number, &item.command, &self.store).await,
            other => Err(DeliveryError::permanent(format!("calls through {other} take no commands"))),
        }
    }
}
