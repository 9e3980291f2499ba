//! Process-wide settings the binary applies at start: the open-files limit. Every client is
//! a socket, so the common soft limit of 1024 descriptors would refuse players long before
//! the server is busy ("Too many open files"); the hard limit is what the system allows.

/// The open-files limit before and after [`raise_open_files_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    pub before: u64,
    pub after: u64,
    pub hard: u64,
}

/// Raises the soft RLIMIT_NOFILE to the hard limit (capped at 1,048,576 when the hard limit
/// is unlimited, which Linux refuses as a soft limit). Errors say which call failed.
#[cfg(unix)]
// rlim_t is u64 on Linux but not on every Unix: the conversions are not useless everywhere.
#[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
pub fn raise_open_files_limit() -> std::io::Result<OpenFiles> {
    const CAP: u64 = 1 << 20;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and pass by pointer; nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(std::io::Error::new(
            e.kind(),
            format!("getrlimit(RLIMIT_NOFILE): {e}"),
        ));
    }
    let (before, hard) = (u64::from(limit.rlim_cur), u64::from(limit.rlim_max));
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        CAP
    } else {
        hard
    };
    if before >= target {
        return Ok(OpenFiles {
            before,
            after: before,
            hard,
        });
    }
    limit.rlim_cur = libc::rlim_t::try_from(target).unwrap_or(limit.rlim_max);
    // SAFETY: setrlimit reads the struct we own and pass by pointer; nothing else.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(std::io::Error::new(
            e.kind(),
            format!("setrlimit(RLIMIT_NOFILE, {target}): {e}"),
        ));
    }
    Ok(OpenFiles {
        before,
        after: target,
        hard,
    })
}

/// Not on Unix: nothing to raise.
#[cfg(not(unix))]
pub fn raise_open_files_limit() -> std::io::Result<OpenFiles> {
    Err(std::io::Error::other(
        "open-files limits are only raised on Unix",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_limit() {
        let raised = raise_open_files_limit().unwrap();
        assert!(raised.after >= raised.before);
        let again = raise_open_files_limit().unwrap();
        assert_eq!(again.before, raised.after, "it stays raised");
        assert!(
            again.after == again.hard || again.after == 1 << 20,
            "{again:?}"
        );
    }
}
