//! Retry with capped exponential backoff: one policy for every network step.
//!
//! A [`Policy`] says how many times a failed attempt is retried and how long to wait before
//! each retry ([`Backoff`]: the first delay, doubled for every further retry, never more than
//! the cap). [`Policy::after_failure`] is the whole decision, and both loops are here: the
//! blocking one ([`blocking`], used for SMTP) and the async one ([`asynchronous`], used by the
//! vSphere client). Only transient failures are retried; what another attempt cannot fix (a
//! 5xx reply, a bad password, an untrusted certificate) ends the loop at once.
//!
//! The wait itself is the caller's (`std::thread::sleep`, `tokio::time::sleep`, or a recorder
//! in tests), so the async loop needs no runtime here: this base module stays free of tokio, and
//! the schedule is tested without sleeping. The caps: [`DEFAULT_CAP`] (SMTP) and the
//! collector's `MAX_BACKOFF` (`src/collect/client.rs`).

use std::future::Future;
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

    /// The wait before retry number `n` (1-based): `first * 2^(n-1)`, at most `cap` (no
    /// overflow however large `n`).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
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

    /// The waits of every retry, in order.
    pub fn schedule(&self) -> impl Iterator<Item = Duration> + '_ {
        (1..=self.retries).map(|n| self.backoff.delay(n))
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
/// told the error, the attempt number and the wait. The same loop as [`asynchronous`], run
/// with futures that are ready at once.
pub fn blocking<T, E>(
    policy: &Policy,
    sleep: &dyn Fn(Duration),
    mut op: impl FnMut(u32) -> Result<T, E>,
    transient: impl Fn(&E) -> bool,
    on_retry: impl FnMut(&E, u32, Duration),
) -> Result<T, Failed<E>> {
    let run = asynchronous(
        policy,
        |wait| {
            sleep(wait);
            std::future::ready(())
        },
        |attempt| std::future::ready(op(attempt)),
        transient,
        on_retry,
    );
    // Every future in it is ready when polled, so one poll finishes the loop.
    let mut run = std::pin::pin!(run);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = run.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// [`blocking`] for async code: `sleep(wait)` is awaited between attempts (`tokio::time::sleep`
/// in the vSphere client), after `on_retry` was told the error, the attempt number and the wait.
pub async fn asynchronous<T, E, Op, OpF, Sleep, SleepF>(
    policy: &Policy,
    sleep: Sleep,
    mut op: Op,
    transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, u32, Duration),
) -> Result<T, Failed<E>>
where
    Op: FnMut(u32) -> OpF,
    OpF: Future<Output = Result<T, E>>,
    Sleep: Fn(Duration) -> SleepF,
    SleepF: Future<Output = ()>,
{
    let mut attempt = 1;
    loop {
        match op(attempt).await {
            Ok(v) => return Ok(v),
            Err(error) => match policy.after_failure(attempt, transient(&error)) {
                Some(wait) => {
                    on_retry(&error, attempt, wait);
                    sleep(wait).await;
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

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_schedule_doubles_up_to_the_cap() {
        // The collector's defaults: 0.5 s first, 30 s cap.
        let p = Policy {
            retries: 8,
            backoff: Backoff {
                first: MS(500),
                cap: Duration::from_secs(30),
            },
        };
        let secs: Vec<f64> = p.schedule().map(|d| d.as_secs_f64()).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);
        // No overflow however far it goes.
        assert_eq!(p.backoff.delay(u32::MAX), Duration::from_secs(30));
        assert_eq!(p.backoff.delay(64), Duration::from_secs(30));
        // The doubling goes on past 2^16 when the cap allows it.
        let tiny = Backoff {
            first: Duration::from_nanos(1),
            cap: Duration::from_secs(1),
        };
        assert_eq!(tiny.delay(21), Duration::from_nanos(1 << 20));
    }

    /// Run [`asynchronous`] on a tokio runtime over `outcomes` (one per attempt; `Err(true)` is
    /// transient), recording the waits instead of sleeping.
    fn run_async(
        retries: u32,
        outcomes: &[Result<u8, bool>],
    ) -> (Result<u8, bool>, u32, Vec<Duration>) {
        let policy = Policy {
            retries,
            backoff: Backoff {
                first: MS(100),
                cap: MS(250),
            },
        };
        let mut next = outcomes.iter().copied();
        let waits = RefCell::new(Vec::new());
        let told = RefCell::new(Vec::new());
        let run = asynchronous(
            &policy,
            |d| {
                waits.borrow_mut().push(d);
                std::future::ready(())
            },
            |n| {
                assert_eq!(n as usize, waits.borrow().len() + 1);
                std::future::ready(next.next().expect("no more attempts expected"))
            },
            |e: &bool| *e,
            |_, n, d| told.borrow_mut().push((n, d)),
        );
        let out = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(run);
        let waits = waits.into_inner();
        let told: Vec<Duration> = told.into_inner().into_iter().map(|(_, d)| d).collect();
        assert_eq!(told, waits, "on_retry is told every wait");
        match out {
            Ok(v) => (Ok(v), waits.len() as u32 + 1, waits),
            Err(f) => (Err(f.error), f.attempts, waits),
        }
    }

    #[test]
    fn the_async_loop_retries_transient_failures_with_the_schedule() {
        assert_eq!(
            run_async(3, &[Err(true), Err(true), Ok(7)]),
            (Ok(7), 3, vec![MS(100), MS(200)])
        );
        // Used up: the last error, after every wait (the third one capped).
        assert_eq!(
            run_async(3, &[Err(true); 4]),
            (Err(true), 4, vec![MS(100), MS(200), MS(250)])
        );
        assert_eq!(run_async(0, &[Err(true)]), (Err(true), 1, vec![]));
    }

    #[test]
    fn the_async_loop_does_not_retry_a_permanent_failure() {
        assert_eq!(run_async(3, &[Err(false)]), (Err(false), 1, vec![]));
        assert_eq!(
            run_async(3, &[Err(true), Err(false)]),
            (Err(false), 2, vec![MS(100)])
        );
    }
}
