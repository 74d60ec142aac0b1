//! The open-files limit against `maxclients` (Redis `adjustOpenFilesLimit`): the node needs
//! `maxclients + 32` descriptors; when the soft limit is lower it is raised as far as the
//! system allows (in steps of 16 below the target), and `maxclients` is reduced to what the
//! limit leaves, as Redis does, so CONFIG GET shows the same number.
//!
//! Invariant: the returned `maxclients` never exceeds the request.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors Redis keeps for itself beyond the clients (`CONFIG_MIN_RESERVED_FDS`).
pub const RESERVED_FDS: u64 = 32;

/// What came of an adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjusted {
    /// The `maxclients` the limit allows (the request, or less).
    pub maxclients: u64,
    /// The open-files limit now.
    pub limit: u64,
}

/// Raises the open-files limit for `maxclients` clients if needed; `Err` with Redis's words
/// when not even the reserved descriptors fit.
pub fn adjust(maxclients: u64) -> Result<Adjusted, String> {
    let wanted = maxclients.saturating_add(RESERVED_FDS);
    let old = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    if old >= wanted {
        return Ok(Adjusted {
            maxclients,
            limit: old,
        });
    }
    let mut best = wanted;
    while best > old {
        let lim = Rlimit {
            current: Some(best),
            maximum: Some(best),
        };
        if setrlimit(Resource::Nofile, lim).is_ok() {
            break;
        }
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    let best = best.max(old);
    if best >= wanted {
        return Ok(Adjusted {
            maxclients,
            limit: best,
        });
    }
    if best <= RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {old} is not enough for the server to start. Please \
             increase your open file limit to at least {wanted}. Exiting."
        ));
    }
    Ok(Adjusted {
        maxclients: best - RESERVED_FDS,
        limit: best,
    })
}
