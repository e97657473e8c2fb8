use super::*;
use futures_util::StreamExt;

fn relay(items: Vec<Result<StreamItem, crate::providers::UpstreamError>>) -> Relay {
    Relay::new(
        Box::pin(futures_util::stream::iter(items)),
        "test",
        "p".into(),
        None,
        None,
    )
}

#[tokio::test]
async fn done_is_written_once_and_usage_is_kept_back() {
    let u = Usage {
        prompt_tokens: 1,
        completion_tokens: 2,
        cached_tokens: 0,
        estimated: false,
    };
    let mut r = relay(vec![
        Ok(StreamItem::Data(Bytes::from_static(b"data: a\n\n"))),
        Ok(StreamItem::Usage(u)),
        Ok(StreamItem::Done),
    ]);
    let mut out = Vec::new();
    while let Some(b) = r.next().await {
        out.push(b.unwrap());
    }
    assert_eq!(
        out,
        vec![Bytes::from_static(b"data: a\n\n"), Bytes::from_static(DONE)]
    );
    assert_eq!(r.usage, Some(u));
    assert_eq!(r.ending, Some(Ending::Completed));
}

#[tokio::test]
async fn an_upstream_that_stops_early_ends_with_an_error_event() {
    let mut r = relay(vec![Ok(StreamItem::Data(Bytes::from_static(
        b"data: a\n\n",
    )))]);
    let _ = r.next().await;
    let last = r.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&last).contains("\"error\""));
    assert!(r.next().await.is_none());
}

#[test]
fn finish_reason_is_read_from_an_event() {
    let ev = br#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#;
    assert_eq!(sniff_finish_reason(ev).as_deref(), Some("tool_calls"));
    assert_eq!(
        sniff_finish_reason(br#"data: {"finish_reason":null}"#),
        None
    );
}

#[tokio::test]
async fn a_relay_dropped_before_the_end_counts_as_a_disconnect() {
    let mut r = relay(vec![
        Ok(StreamItem::Data(Bytes::from_static(b"data: a\n\n"))),
        Ok(StreamItem::Done),
    ]);
    let _ = r.next().await;
    r.finish(Ending::ClientDisconnected);
    assert_eq!(r.ending, Some(Ending::ClientDisconnected));
}
