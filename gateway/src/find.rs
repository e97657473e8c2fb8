//! Byte strings looked for in every event of a stream: each one's searcher is built once (a
//! `memmem::find` call builds one per call, which costs more than the search in a short event).

/// `finder!(b"...")`: the `&'static memmem::Finder` of a byte-string constant.
macro_rules! finder {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}
pub(crate) use finder;
