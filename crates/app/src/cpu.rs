//! CPU-heavy work on untrusted input (decoding mail, cleaning its HTML) runs here, not on the
//! async workers: a request that computes for seconds on an async worker stalls every other
//! request scheduled on it, `/healthz` included, and no timeout fires because nothing awaits.
//! At most one job per core runs at once, so a flood of such work queues instead of taking
//! every blocking thread.

use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How the work ended when it did not return a value.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    #[error("the work did not finish within {0:?}")]
    TimedOut(Duration),
    #[error("the work failed: {0}")]
    Panicked(String),
}

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs `work` on a blocking thread once a core is free, waiting at most `budget` for the
/// result. A job past its budget cannot be stopped; it finishes in the background while the
/// caller goes on, which is why every job given here must also bound its own work.
pub async fn run<T, F>(budget: Duration, work: F) -> Result<T, CpuError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let started = tokio::time::Instant::now();
    let permit = tokio::time::timeout(budget, permits().acquire())
        .await
        .map_err(|_| CpuError::TimedOut(budget))?
        .map_err(|e| CpuError::Panicked(e.to_string()))?;
    let job = tokio::task::spawn_blocking(move || {
        let _held = permit;
        work()
    });
    match tokio::time::timeout(budget.saturating_sub(started.elapsed()), job).await {
        Err(_) => Err(CpuError::TimedOut(budget)),
        Ok(Err(e)) => Err(CpuError::Panicked(e.to_string())),
        Ok(Ok(v)) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn results_panics_and_overruns_are_told_apart() {
        assert_eq!(run(Duration::from_secs(5), || 6 * 7).await.unwrap(), 42);
        let panicked = run(Duration::from_secs(5), || -> u8 { panic!("壊れたメール") }).await;
        assert!(matches!(panicked, Err(CpuError::Panicked(_))), "{panicked:?}");
        let slow = run(Duration::from_millis(50), || std::thread::sleep(Duration::from_millis(500))).await;
        assert!(matches!(slow, Err(CpuError::TimedOut(_))), "{slow:?}");
    }
}
