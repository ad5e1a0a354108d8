//! Retry with capped exponential backoff, for calls that may fail for a moment.
//!
//! [`retry`] runs an attempt, and after a failure that [`Policy`] calls transient, waits and
//! runs it again, at most [`Policy::retries`] more times. The wait before retry `n` (1-based) is
//! `first × 2^(n-1)`, never more than [`Policy::cap`] ([`MAX_BACKOFF`] for the collector): with
//! the collector's defaults, 0.5 s, 1 s, 2 s. The wait itself is the caller's (a tokio sleep in
//! the client, nothing in tests), so the schedule is tested without sleeping. Change the cap
//! with [`MAX_BACKOFF`], the first wait and the number of retries with
//! [`super::client::Settings`].

use std::future::Future;
use std::time::Duration;

/// The longest wait between two attempts of one collector call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How often, and after which waits, a failed call is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The wait before the first retry; doubled for each further one.
    pub first: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Policy {
    /// The wait before retry `n` (1-based): `first × 2^(n-1)`, at most `cap`.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first.saturating_mul(factor).min(self.cap)
    }

    /// The waits of every retry, in order.
    pub fn schedule(&self) -> impl Iterator<Item = Duration> + '_ {
        (1..=self.retries).map(|n| self.delay(n))
    }
}

/// Run `attempt` until it succeeds, fails with an error `transient` does not accept, or the
/// retries are used up. Before retry `n`, `wait(&error, n, delay)` is awaited (the caller logs
/// and sleeps there). Returns the last result and the number of attempts made.
pub async fn retry<T, E, A, AF, W, WF>(
    policy: &Policy,
    transient: impl Fn(&E) -> bool,
    mut attempt: A,
    mut wait: W,
) -> (Result<T, E>, u32)
where
    A: FnMut() -> AF,
    AF: Future<Output = Result<T, E>>,
    W: FnMut(&E, u32, Duration) -> WF,
    WF: Future<Output = ()>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt().await {
            Err(e) if transient(&e) && attempts <= policy.retries => {
                wait(&e, attempts, policy.delay(attempts)).await;
            }
            other => return (other, attempts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn the_backoff_doubles_up_to_the_cap() {
        let p = Policy {
            retries: 8,
            first: MS(500),
            cap: MAX_BACKOFF,
        };
        let secs: Vec<f64> = p.schedule().map(|d| d.as_secs_f64()).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);
        // No overflow however far it goes.
        assert_eq!(p.delay(u32::MAX), MAX_BACKOFF);
        assert_eq!(p.delay(64), MAX_BACKOFF);
    }

    /// Run [`retry`] over `outcomes` (one per attempt; `Err(true)` is transient), recording the
    /// waits instead of sleeping.
    fn run(retries: u32, outcomes: &[Result<u8, bool>]) -> (Result<u8, bool>, u32, Vec<Duration>) {
        let policy = Policy {
            retries,
            first: MS(100),
            cap: MS(250),
        };
        let mut next = outcomes.iter().copied();
        let mut waits = Vec::new();
        let (result, attempts) = block_on(retry(
            &policy,
            |e: &bool| *e,
            || std::future::ready(next.next().expect("no more attempts expected")),
            |_, n, d| {
                assert_eq!(n as usize, waits.len() + 1);
                waits.push(d);
                std::future::ready(())
            },
        ));
        (result, attempts, waits)
    }

    #[test]
    fn transient_failures_are_retried_with_the_schedule() {
        assert_eq!(
            run(3, &[Err(true), Err(true), Ok(7)]),
            (Ok(7), 3, vec![MS(100), MS(200)])
        );
        // Used up: the last error, after every wait (the third one capped).
        assert_eq!(
            run(3, &[Err(true); 4]),
            (Err(true), 4, vec![MS(100), MS(200), MS(250)])
        );
        assert_eq!(run(0, &[Err(true)]), (Err(true), 1, vec![]));
    }

    #[test]
    fn a_permanent_failure_is_not_retried() {
        assert_eq!(run(3, &[Err(false)]), (Err(false), 1, vec![]));
        assert_eq!(
            run(3, &[Err(true), Err(false)]),
            (Err(false), 2, vec![MS(100)])
        );
    }
}
