//! Classifier throughput (DESIGN §13: ≥ 300 MB/s on one core with 10,000 watch-list terms).
//!
//! `cargo bench -p parapet-classifiers` prints: build time and automaton memory, one-shot
//! MB/s over ~8 MB of English prose with sparse hits, streaming MB/s with 64-byte and 1 KiB
//! chunks (and their ratio to one-shot), and p50/p99 for classifying a 2 KB text.

use parapet_classifiers::{
    Classification, Classifier, DealCodeName, Finding, Issuer, ListKind, Watchlist,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &str = "the of and to in a is that for it as was with be by on not he I this are or his from at \
    which but have an they you were her she there been one all we their has would when if so no will \
    more can out up about who other into some what time could them than then only its also two may \
    first new these any most over such after where years people market rates bank quarter growth \
    report said year analysts company shares price investors economy policy central inflation week \
    demand supply government sector energy technology services customers team meeting review plan \
    strategy product data model risk capital credit loan deposit branch office staff budget costs \
    weather city river morning evening history music football season village garden summer winter";

const SYLLABLES: &[&str] = &[
    "hal", "vor", "sen", "tes", "sa", "ly", "nor", "land", "kir", "ven", "dal", "mar", "quo",
    "zen", "bri", "tho", "lum", "rax", "pel", "gor", "vic", "tan", "ose", "ria", "mek", "sol",
    "dra", "fin",
];

fn pseudo_word(rng: &mut Rng) -> String {
    let n = 2 + rng.below(2);
    let mut w: String = (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect();
    if let Some(first) = w.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    w
}

fn watchlist(rng: &mut Rng, issuers: usize) -> Watchlist {
    let suffixes = [
        "Holdings",
        "Biotech",
        "Capital",
        "Industries",
        "Energy",
        "Pharmaceuticals",
    ];
    let mut list = Watchlist::default();
    for i in 0..issuers {
        let first = pseudo_word(rng);
        let name = format!(
            "{first} {} {}",
            pseudo_word(rng),
            suffixes[i % suffixes.len()]
        );
        let ticker: String = (0..3 + rng.below(2))
            .map(|_| (b'A' + rng.below(26) as u8) as char)
            .collect();
        list.issuers.push(Issuer {
            name,
            ticker: Some(ticker),
            aliases: vec![first],
            list: if i % 10 == 0 {
                ListKind::Restricted
            } else {
                ListKind::Watch
            },
        });
    }
    for i in 0..200 {
        list.deal_code_names.push(DealCodeName {
            code_name: format!("Project {}", pseudo_word(rng)),
            target: Some(list.issuers[i].name.clone()),
            acquirer: None,
        });
    }
    list
}

fn prose(rng: &mut Rng, list: &Watchlist, bytes: usize) -> String {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let extras = [
        "jane.doe@example.com",
        "4111 1111 1111 1111",
        "(212) 555-0199",
        "account 12345678",
        "US0378331005",
        "on 12 March 2024",
        "up 3.5% to $1,200",
    ];
    let mut out = String::with_capacity(bytes + 256);
    while out.len() < bytes {
        let len = 8 + rng.below(16);
        for i in 0..len {
            let w = words[rng.below(words.len())];
            if i == 0 {
                let mut cap = w.to_owned();
                if let Some(f) = cap.get_mut(0..1) {
                    f.make_ascii_uppercase();
                }
                out.push_str(&cap);
            } else {
                out.push_str(w);
            }
            out.push(if rng.below(12) == 0 { ',' } else { ' ' });
            if rng.below(400) == 0 {
                out.push_str(&list.issuers[rng.below(list.issuers.len())].name);
                out.push(' ');
            }
            if rng.below(600) == 0 {
                out.push_str(extras[rng.below(extras.len())]);
                out.push(' ');
            }
        }
        out.push_str(". ");
        if rng.below(8) == 0 {
            out.push('\n');
        }
    }
    out
}

/// Nanoseconds this thread has spent on a CPU (first field of schedstat), so a loaded shared
/// machine does not count time spent waiting for a core. `None` where the file is missing.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Best of `runs` measurements of one call of `f`. A measurement repeats `f` for at least
/// 300 ms: the kernel moves a thread's CPU time forward only every few milliseconds, so a single
/// 30 ms call would be off by up to a tenth.
fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_ns());
            let mut calls = 0u32;
            loop {
                f();
                calls += 1;
                let spent = match (c, cpu_ns()) {
                    (Some(a), Some(b)) => Duration::from_nanos(b - a),
                    _ => t.elapsed(),
                };
                if spent >= Duration::from_millis(300) {
                    return spent / calls;
                }
            }
        })
        .min()
        .unwrap_or_default()
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

/// FNV-1a over every finding's span, label and detector: equal digests before and after a
/// change mean the same findings.
fn digest(findings: &[Finding]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for f in findings {
        let line = format!("{:?}{}{}{}", f.label, f.detector, f.span.start, f.span.end);
        for b in line.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `text` cut into pieces of `chunk` bytes (a little more where a character would be split).
/// Cut once, before timing, so that the streaming figures measure the scanner rather than
/// the search for character boundaries.
fn pieces(text: &str, chunk: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / chunk + 1);
    let mut i = 0;
    while i < text.len() {
        let mut j = (i + chunk).min(text.len());
        while !text.is_char_boundary(j) {
            j += 1;
        }
        out.push(&text[i..j]);
        i = j;
    }
    out
}

fn stream(c: &Classifier, pieces: &[&str], mut keep: impl FnMut(Vec<Finding>)) {
    let mut s = c.scanner();
    for piece in pieces {
        keep(s.feed(piece));
        // What a gateway asks after each piece: how much may be released.
        black_box(s.committed());
    }
    keep(s.finish());
}

fn main() {
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let issuers = std::env::var("BENCH_ISSUERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let list = watchlist(&mut rng, issuers);
    let terms = list.issuers.len() * 3 + list.deal_code_names.len();
    let t = Instant::now();
    let Ok(c) = Classifier::new(&list) else {
        eprintln!("classifier failed to build");
        std::process::exit(1);
    };
    println!(
        "watch list: {} issuers, {terms} terms (name, alias, ticker, code names); build {:.0} ms, automata {:.1} MiB",
        list.issuers.len(),
        t.elapsed().as_secs_f64() * 1e3,
        c.memory_usage() as f64 / (1 << 20) as f64
    );
    if cpu_ns().is_some() {
        println!("times are on-CPU time of this thread (the machine may be shared)");
    }
    let text = prose(&mut rng, &list, 8 << 20);
    let findings = c.classify(&text).findings;
    println!(
        "corpus: {:.1} MB of prose, {} findings (digest {:016x})",
        text.len() as f64 / 1e6,
        findings.len(),
        digest(&findings)
    );
    // For `perf record`: BENCH_ONLY=oneshot or stream64 runs nothing but those passes. For
    // counting instructions (`valgrind --tool=cachegrind`; `bench/classify-count` takes the
    // differences), BENCH_ONLY=setup runs nothing more, once-oneshot one one-shot pass,
    // once-streamN one streaming pass in N-byte chunks, untimed.
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("setup") => {
            // What the streaming modes also do before their pass: cut the text.
            black_box((pieces(&text, 64), pieces(&text, 1024)));
            return;
        }
        Ok("once-oneshot") => {
            black_box((pieces(&text, 64), pieces(&text, 1024)));
            black_box(c.classify(black_box(&text)));
            return;
        }
        Ok(mode) if mode.starts_with("once-stream") => {
            let chunk = mode["once-stream".len()..].parse().unwrap_or(64);
            let cut = pieces(&text, chunk);
            black_box(pieces(&text, if chunk == 64 { 1024 } else { 64 }));
            stream(&c, black_box(&cut), |f| {
                black_box(f);
            });
            return;
        }
        _ => {}
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("stream64") {
        let d = best_of(10, || {
            let cut = pieces(&text, 64);
            stream(&c, black_box(&cut), |f| {
                black_box(f);
            });
        });
        println!("streaming    64 B chunks: {:7.0} MB/s", mbps(text.len(), d));
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("oneshot") {
        let d = best_of(10, || {
            black_box(c.classify(black_box(&text)));
        });
        println!("one-shot classify:      {:7.0} MB/s", mbps(text.len(), d));
        return;
    }

    let cuts: Vec<(usize, Vec<&str>)> = [64, 1024]
        .into_iter()
        .map(|chunk| (chunk, pieces(&text, chunk)))
        .collect();
    for (chunk, cut) in &cuts {
        let mut streamed = Vec::new();
        stream(&c, cut, |f| streamed.extend(f));
        if Classification::from_findings(streamed).findings != findings {
            eprintln!("streaming with {chunk} B chunks found something else");
            std::process::exit(1);
        }
    }
    // Rounds of one-shot, then each chunk size, one after the other. Each throughput is the
    // best round and the ratio is that of the best rounds (the least disturbed); the ratios
    // within a round show how much the machine's speed drifts between two measurements.
    let mut one = Vec::new();
    let mut streamed: Vec<Vec<Duration>> = vec![Vec::new(); cuts.len()];
    for _ in 0..7 {
        one.push(best_of(1, || {
            black_box(c.classify(black_box(&text)));
        }));
        for ((_, cut), times) in cuts.iter().zip(&mut streamed) {
            times.push(best_of(1, || {
                stream(&c, black_box(cut), |f| {
                    black_box(f);
                });
            }));
        }
    }
    let best = |times: &[Duration]| times.iter().copied().min().unwrap_or_default();
    println!(
        "one-shot classify:      {:7.0} MB/s",
        mbps(text.len(), best(&one))
    );
    for ((chunk, _), times) in cuts.iter().zip(&streamed) {
        let mut ratios: Vec<f64> = times
            .iter()
            .zip(&one)
            .map(|(s, o)| s.as_secs_f64() / o.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "streaming {chunk:>5} B chunks: {:7.0} MB/s  ({:.2}x one-shot time; within a round: median {:.2}, {:.2}-{:.2})",
            mbps(text.len(), best(times)),
            best(times).as_secs_f64() / best(&one).as_secs_f64(),
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
        );
    }
    let mut start = 0;
    let mut times = Vec::with_capacity(5000);
    for _ in 0..5000 {
        let mut s = start % (text.len() - 4096);
        while !text.is_char_boundary(s) {
            s += 1;
        }
        let mut e = s + 2048;
        while !text.is_char_boundary(e) {
            e += 1;
        }
        let piece = &text[s..e];
        let t = Instant::now();
        black_box(c.classify(black_box(piece)));
        times.push(t.elapsed());
        start += 7919;
    }
    times.sort_unstable();
    println!(
        "2 KB classify: p50 {:.1} µs, p99 {:.1} µs",
        times[times.len() / 2].as_secs_f64() * 1e6,
        times[times.len() * 99 / 100].as_secs_f64() * 1e6
    );
}
