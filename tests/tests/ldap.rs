//! The directory client against a real slapd: users the directory does not know (refused by
//! default, or served without groups when configured), and the TLS transports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::wall::{chat, setup, MNPI_PROMPT};
use serde_json::Value;

#[tokio::test]
async fn a_user_the_directory_does_not_know_is_refused_by_default() {
    let s = setup(None, "").await;
    let dave = s.gw.create_key("dave", &[]).await;
    let r = s.gw.chat(&dave, &chat("hello", false)).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_in_directory", "{body}");
    assert!(s.mock.requests().is_empty(), "nothing was forwarded");
    // Known users are served as before.
    let r = s.gw.chat(&s.alice, &chat("hello", false)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn with_no_groups_an_unknown_user_is_served_outside_every_barrier() {
    let s = setup(None, "unknown_user = \"no_groups\"").await;
    let dave = s.gw.create_key("dave", &[]).await;
    let r = s.gw.chat(&dave, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 200, "no groups: on no side of the wall");
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403, "bob is still behind it");
}
