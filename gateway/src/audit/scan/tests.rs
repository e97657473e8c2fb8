use super::*;
use crate::audit::read::parse_record;
use crate::audit::testlog::{append, at, embedded};

fn ts(h: u32, m: u32) -> String {
    format!("2026-03-01T{h:02}:{m:02}:00.000000Z")
}

/// Collects the seqs of the records inside a window, stopping once past it.
struct Seqs {
    window: TsWindow,
    seen: Vec<u64>,
    read: usize,
}

impl PageVisitor for Seqs {
    fn visit(&mut self, page: &Page) -> Result<bool, String> {
        for (seq, json) in page {
            self.read += 1;
            match self.window.place(&parse_record(*seq, json)?.ts) {
                Place::Inside => self.seen.push(*seq),
                Place::Beyond => return Ok(false),
                _ => {}
            }
        }
        Ok(true)
    }
}

#[tokio::test]
async fn seek_skips_only_records_that_cannot_be_in_the_period() {
    let (store, _dir) = embedded();
    // One record a minute from 00:00 to 09:59, then a late commit of a call that began at 10:20
    // committed after one from 10:45 (out of order within the slack).
    let mut recs: Vec<_> = (0..600)
        .map(|i| at("llm.call", &ts(i / 60, i % 60)))
        .collect();
    recs.push(at("llm.call", &ts(10, 45)));
    recs.push(at("llm.call", &ts(10, 20)));
    recs.push(at("llm.call", &ts(11, 30)));
    append(store.as_ref(), recs).await;

    let after = seek(store.as_ref(), &ts(9, 0)).await.unwrap();
    // Records before 08:00 (one hour of slack) are skipped, nothing at or after 08:00 is.
    assert!((420..=480).contains(&after), "after = {after}");
    assert_eq!(seek(store.as_ref(), &ts(0, 0)).await.unwrap(), 0);

    let window = TsWindow::new(Some(&ts(10, 0)), Some(&ts(10, 30)));
    let after = seek(store.as_ref(), &ts(10, 0)).await.unwrap();
    let v = Seqs {
        window,
        seen: vec![],
        read: 0,
    };
    let scanned = scan(store.as_ref(), after, None, v, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        scanned.visitor.seen,
        vec![602],
        "the call that began at 10:20 counts though committed after 10:45"
    );
    assert!(scanned.visitor.read <= 603 - after as usize);
}

#[tokio::test]
async fn a_scan_that_verifies_reads_the_whole_log_and_reports_the_chain() {
    let (store, _dir) = embedded();
    append(
        store.as_ref(),
        (0..12).map(|i| at("llm.call", &ts(1, i))).collect(),
    )
    .await;
    let v = Seqs {
        window: TsWindow::new(Some(&ts(1, 5)), Some(&ts(1, 7))),
        seen: vec![],
        read: 0,
    };
    let verify = Verify {
        verifier: None,
        stop_at_break: false,
    };
    let s = scan(store.as_ref(), 3, Some(verify), v, |_, _| {})
        .await
        .unwrap();
    let ver = s.verification.unwrap();
    assert!(ver.ok);
    assert_eq!(ver.report.records_checked, 12);
    assert_eq!(s.visitor.seen, vec![6, 7]);
    assert_eq!(s.head_seq, 12);
}

#[test]
fn a_window_places_timestamps_before_inside_after_and_beyond() {
    let w = TsWindow::new(Some(&ts(1, 0)), Some(&ts(2, 0)));
    assert_eq!(w.place(&ts(0, 59)), Place::Before);
    assert_eq!(w.place(&ts(1, 0)), Place::Inside);
    assert_eq!(w.place(&ts(2, 0)), Place::After);
    assert_eq!(w.place(&ts(2, 59)), Place::After);
    assert_eq!(w.place(&ts(3, 0)), Place::Beyond);
}
