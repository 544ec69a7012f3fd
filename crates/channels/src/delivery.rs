//! Why handing a reply to its channel failed, and whether trying again could help: the outbox
//! retries with backoff what may pass later and gives up at once on what never will.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub message: String,
    pub permanent: bool,
}

impl DeliveryError {
    pub fn permanent(m: impl Into<String>) -> Self {
        DeliveryError { message: m.into(), permanent: true }
    }

    pub fn retry(m: impl Into<String>) -> Self {
        DeliveryError { message: m.into(), permanent: false }
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
