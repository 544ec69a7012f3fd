//! What Madoguchi asks the telephony provider to do with a live call. The desk decides (who
//! rings, when the caller is put through); a command carries the decision to whichever
//! provider carries the call, through a queue that survives a crash and retries.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallCommand {
    /// Ring the agent's phone (their browser, or the desk phone they set); answered, it is put
    /// through to the caller.
    RingAgent { agent: UserId, ring_seconds: u32 },
    /// Stop the ring at an agent: the offer was taken back, or the caller is gone.
    CancelRing { agent: UserId },
    /// Take the caller out of the queue to the agent who answered.
    BridgeCaller,
    /// Put the caller on hold (out of the talk, hearing the hold announcement), or back.
    HoldCaller { hold: bool },
    /// End every leg still up: the caller left, so the agent's phone hangs up too.
    HangUp,
    /// Hang up one agent's phone, the caller staying on (the agent transferred the call).
    EndAgentLeg { agent: UserId },
    /// Take the caller back to the queue (a transfer to a queue), to wait for its next agent.
    RequeueCaller,
    /// Put the caller through to the outside number the transfer named.
    TransferCaller,
    /// Copy a finished recording (a call's, or a voicemail) from the provider into the desk's
    /// file store, so it stays with the shop's calls whatever becomes of the provider account.
    FetchRecording { sid: String, url: String, seconds: Option<i64> },
}

impl CallCommand {
    /// The command's name in logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            CallCommand::RingAgent { .. } => "ring_agent",
            CallCommand::CancelRing { .. } => "cancel_ring",
            CallCommand::BridgeCaller => "bridge_caller",
            CallCommand::HoldCaller { .. } => "hold_caller",
            CallCommand::HangUp => "hang_up",
            CallCommand::EndAgentLeg { .. } => "end_agent_leg",
            CallCommand::RequeueCaller => "requeue_caller",
            CallCommand::TransferCaller => "transfer_caller",
            CallCommand::FetchRecording { .. } => "fetch_recording",
        }
    }
}

/// The name an agent's browser phone registers under with the provider (`client:<identity>`):
/// letters, digits and underscores only, and nothing a caller could guess a person from.
pub fn client_identity(agent: UserId) -> String {
    format!("agent_{}", agent.0.simple())
}
