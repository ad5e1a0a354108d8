//! Retry with capped exponential backoff: one policy for every network step.
//!
//! A [`Policy`] says how many times a failed attempt is retried and how long to wait before
//! each retry ([`Backoff`]: the first delay, doubled for every further retry, never more than
//! the cap). [`Policy::after_failure`] is the whole decision, so a blocking loop ([`blocking`],
//! used for SMTP) and an async one (the vSphere client) retry alike. Only transient failures are
//! retried; what another attempt cannot fix (a 5xx reply, a bad password, an untrusted
//! certificate) ends the loop at once.

use std::time::Duration;

/// The longest wait between two attempts, whatever the first delay.
pub const DEFAULT_CAP: Duration = Duration::from_secs(15 * 60);

/// Exponential backoff: `first`, `2 * first`, `4 * first`, ... at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// `first` doubling, capped at [`DEFAULT_CAP`].
    pub fn new(first: Duration) -> Backoff {
        Backoff {
            first,
            cap: DEFAULT_CAP,
        }
    }

    /// The wait before retry number `n` (1-based): `first * 2^(n-1)`, at most `cap`.
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(16));
        self.first.saturating_mul(factor).min(self.cap)
    }
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Retries after the first attempt (0 = one attempt only).
    pub retries: u32,
    pub backoff: Backoff,
}

impl Policy {
    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// Attempt number `attempt` (1-based) failed: the wait before the next one, or `None` when
    /// there is none (the failure is permanent, or that was the last attempt).
    pub fn after_failure(&self, attempt: u32, transient: bool) -> Option<Duration> {
        (transient && attempt < self.attempts()).then(|| self.backoff.delay(attempt))
    }
}

/// The last error of an operation that did not succeed, and how many attempts were made.
#[derive(Debug)]
pub struct Failed<E> {
    pub error: E,
    pub attempts: u32,
}

/// Run `op` (given the 1-based attempt number) until it succeeds, fails permanently (not
/// `transient`) or the attempts run out; `sleep` waits between attempts, after `on_retry` was
/// told the error, the attempt number and the wait.
pub fn blocking<T, E>(
    policy: &Policy,
    sleep: &dyn Fn(Duration),
    mut op: impl FnMut(u32) -> Result<T, E>,
    transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, u32, Duration),
) -> Result<T, Failed<E>> {
    let mut attempt = 1;
    loop {
        match op(attempt) {
            Ok(v) => return Ok(v),
            Err(error) => match policy.after_failure(attempt, transient(&error)) {
                Some(wait) => {
                    on_retry(&error, attempt, wait);
                    sleep(wait);
                    attempt += 1;
                }
                None => {
                    return Err(Failed {
                        error,
                        attempts: attempt,
                    })
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Backoff::new(Duration::from_millis(100));
        assert_eq!(b.delay(1), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(200));
        assert_eq!(b.delay(4), Duration::from_millis(800));
        assert_eq!(
            Backoff::new(Duration::from_secs(60)).delay(30),
            Duration::from_secs(900)
        );
        let small = Backoff {
            first: Duration::from_secs(1),
            cap: Duration::from_secs(3),
        };
        assert_eq!(small.delay(3), Duration::from_secs(3));
        assert_eq!(small.delay(u32::MAX), Duration::from_secs(3));
    }

    #[test]
    fn transient_failures_are_retried_until_the_attempts_run_out() {
        let policy = Policy {
            retries: 2,
            backoff: Backoff::new(Duration::from_secs(10)),
        };
        let waits = RefCell::new(Vec::new());
        let sleep = |d: Duration| waits.borrow_mut().push(d);
        let mut told = Vec::new();
        let r: Result<(), Failed<&str>> = blocking(
            &policy,
            &sleep,
            |_| Err("busy"),
            |_| true,
            |e, n, _| told.push((e.to_string(), n)),
        );
        let f = r.unwrap_err();
        assert_eq!((f.error, f.attempts), ("busy", 3));
        assert_eq!(
            *waits.borrow(),
            [Duration::from_secs(10), Duration::from_secs(20)]
        );
        assert_eq!(told, [("busy".to_string(), 1), ("busy".to_string(), 2)]);
    }

    #[test]
    fn permanent_failures_and_successes_end_the_loop() {
        let policy = Policy {
            retries: 5,
            backoff: Backoff::new(Duration::ZERO),
        };
        let sleeps = RefCell::new(0);
        let sleep = |_| *sleeps.borrow_mut() += 1;
        let r: Result<(), _> = blocking(&policy, &sleep, |_| Err(550), |c| *c < 500, |_, _, _| {});
        assert_eq!(r.unwrap_err().attempts, 1);
        assert_eq!(*sleeps.borrow(), 0);
        let r = blocking(
            &policy,
            &sleep,
            |n| if n < 3 { Err(421) } else { Ok(n) },
            |c| *c < 500,
            |_, _, _| {},
        );
        assert_eq!(r.unwrap(), 3);
        assert_eq!(*sleeps.borrow(), 2);
        assert_eq!(policy.after_failure(6, true), None);
        assert_eq!(policy.after_failure(5, true), Some(Duration::ZERO));
    }
}
