use serde_json::json;

use super::*;

const GW: &str = "https://gw.example/a2a/payments";

fn v1_card() -> serde_json::Value {
    json!({
        "name": "Payments", "version": "1.0.0",
        "supportedInterfaces": [
            {"url": "http://10.0.0.5:9000/", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": "http://10.0.0.5:9000/rpc03", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
            {"url": "http://10.0.0.5:9001", "protocolBinding": "GRPC", "protocolVersion": "1.0"}
        ],
        "url": "http://10.0.0.5:9000/", "preferredTransport": "JSONRPC",
        "additionalInterfaces": [
            {"url": "http://10.0.0.5:9000/", "transport": "JSONRPC"},
            {"url": "http://10.0.0.5:9002/v1", "transport": "HTTP+JSON"}
        ],
        "capabilities": {"streaming": true, "pushNotifications": true, "extendedAgentCard": true},
        "signatures": [{"protected": "x", "signature": "y"}],
        "skills": [{"id": "wire_transfer", "name": "Wire"}]
    })
}

#[test]
fn every_endpoint_points_at_the_gateway_and_other_bindings_are_gone() {
    let mut card = v1_card().as_object().unwrap().clone();
    rewrite(&mut card, GW);
    let text = serde_json::to_string(&card).unwrap();
    assert!(
        !text.contains("10.0.0.5"),
        "the agent's address leaked: {text}"
    );
    assert_eq!(card["supportedInterfaces"].as_array().unwrap().len(), 2);
    assert!(card["supportedInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["url"] == GW));
    assert_eq!(
        card["additionalInterfaces"],
        json!([{"url": GW, "transport": "JSONRPC"}])
    );
    assert_eq!(card["url"], GW);
    assert!(card.get("signatures").is_none());
    assert_eq!(
        card["capabilities"],
        json!({"streaming": true, "pushNotifications": false})
    );
    assert_eq!(card["skills"][0]["id"], "wire_transfer");
}

#[test]
fn a_v1_only_card_gets_no_top_level_url() {
    let mut card =
        json!({"supportedInterfaces": [{"url": "http://a/", "protocolBinding": "JSONRPC"}]})
            .as_object()
            .unwrap()
            .clone();
    rewrite(&mut card, GW);
    assert!(card.get("url").is_none());
    assert_eq!(card["supportedInterfaces"][0]["url"], GW);
}

#[test]
fn the_agents_jsonrpc_endpoint_is_found_in_either_card_version() {
    assert_eq!(
        jsonrpc_url(&v1_card(), "http://base"),
        "http://10.0.0.5:9000/"
    );
    let v03 = json!({"url": "http://a/rpc", "preferredTransport": "JSONRPC"});
    assert_eq!(jsonrpc_url(&v03, "http://base"), "http://a/rpc");
    let grpc_first = json!({"url": "http://a:1", "preferredTransport": "GRPC",
        "additionalInterfaces": [{"url": "http://a/json", "transport": "JSONRPC"}]});
    assert_eq!(jsonrpc_url(&grpc_first, "http://base"), "http://a/json");
    assert_eq!(jsonrpc_url(&json!({}), "http://base"), "http://base");
}
