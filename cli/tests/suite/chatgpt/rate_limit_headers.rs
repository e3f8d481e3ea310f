//! Rate-limit headers of model responses become `account/rateLimits/updated`, one per limit
//! family at the start of the stream and the latest again after the answer, with the account's
//! credits reported for every family and kept when a later response brings none.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::threads::live::Live;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;

fn limits(seen: &[Value]) -> Vec<Value> {
    seen.iter()
        .filter(|message| message["method"] == "account/rateLimits/updated")
        .map(|message| message["params"]["rateLimits"].clone())
        .collect()
}

#[tokio::test]
async fn every_family_is_announced_and_credits_carry_over() {
    let live = Live::new().await;
    live.model.enqueue(
        Reply::sse(sse::text_turn("resp-1", "one"))
            .header("x-codex-primary-used-percent", "12.5")
            .header("x-codex-primary-window-minutes", "300")
            .header("x-codex-primary-reset-at", "1704069000")
            .header("x-codex-credits-has-credits", "true")
            .header("x-codex-credits-unlimited", "0")
            .header("x-codex-credits-balance", "7")
            .header("x-codex-mini-primary-used-percent", "3")
            .header("x-codex-mini-limit-name", "Mini"),
    );
    live.model.enqueue(
        Reply::sse(sse::text_turn("resp-2", "two")).header("x-codex-primary-used-percent", "20"),
    );
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = thread_id(&started);

    let credits = json!({"hasCredits": true, "unlimited": false, "balance": "7"});
    let codex = json!({"limitId": "codex", "limitName": null,
        "primary": {"usedPercent": 13, "windowDurationMins": 300, "resetsAt": 1704069000},
        "secondary": null, "credits": credits, "planType": null});
    let mini = json!({"limitId": "codex_mini", "limitName": "Mini",
        "primary": {"usedPercent": 3, "windowDurationMins": null, "resetsAt": null},
        "secondary": null, "credits": credits, "planType": null});
    let (_, seen) = turn(&mut client, 2, &thread, "first").await;
    assert_eq!(
        limits(&seen),
        vec![codex.clone(), mini.clone(), mini],
        "{}",
        client.report()
    );

    // No credit headers this time: the previous snapshot's credits are kept.
    let (_, seen) = turn(&mut client, 3, &thread, "second").await;
    let later = json!({"limitId": "codex", "limitName": null,
        "primary": {"usedPercent": 20, "windowDurationMins": null, "resetsAt": null},
        "secondary": null, "credits": credits, "planType": null});
    assert_eq!(
        limits(&seen),
        vec![later.clone(), later],
        "{}",
        client.report()
    );
}
