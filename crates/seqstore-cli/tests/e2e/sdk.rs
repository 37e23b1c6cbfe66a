//! The official `aws-sdk-omics` client against a real listener, on SQLite and PostgreSQL. The SDK
//! prefixes the endpoint host (`control-storage-`, `tags-`); the test client resolves those names
//! to the listener, so the server sees and verifies the prefixed `Host`.

use std::collections::HashSet;

use aws_sdk_omics::types::{ETagAlgorithmFamily, EncryptionType, S3AccessConfig, SequenceStoreFilter, SseConfig};

use super::imports::with_fallback_role;
use super::support::{Backend, KEY_A, KEY_B, TestDb, TestServer, code, config, on_both_backends, sdk};

async fn full_flow(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let mut config = config(&db);
    // Nothing is written there in this test: the endpoint is never contacted.
    with_fallback_role(&mut config, "http://127.0.0.1:9");
    let server = TestServer::start(&config).await;
    let a = sdk(&server.endpoint, KEY_A);
    let uncovered = a.create_sequence_store().name("x").fallback_location("s3://elsewhere/p/").send().await;
    let error = uncovered.expect_err("no role may write there");
    assert_eq!(code(&error), "ValidationException");
    let text = format!("{:?}", error.into_service_error());
    assert!(text.contains("fallbackLocation") && text.contains("access = \\\"write\\\""), "{text}");

    let created = a
        .create_sequence_store()
        .name("flow")
        .description("a store")
        .sse_config(
            SseConfig::builder()
                .r#type(EncryptionType::Kms)
                .key_arn("arn:aws:kms:us-east-1:111111111111:key/k")
                .build()
                .unwrap(),
        )
        .tags("team", "genomics")
        .fallback_location("s3://fallback-bucket/prefix/")
        .e_tag_algorithm_family(ETagAlgorithmFamily::Sha256Up)
        .propagated_set_level_tags("team")
        .s3_access_config(S3AccessConfig::builder().access_log_location("s3://logs-bucket/omics/").build())
        .send()
        .await
        .expect("create");
    let id = created.id().to_owned();
    assert_eq!(id.len(), 10);
    assert_eq!(created.arn(), format!("arn:aws:omics:us-east-1:{}:sequenceStore/{id}", KEY_A.2));
    assert_eq!(created.e_tag_algorithm_family(), Some(&ETagAlgorithmFamily::Sha256Up));
    assert_eq!(created.fallback_location(), Some("s3://fallback-bucket/prefix/"));
    assert_eq!(created.sse_config().map(|s| s.key_arn()), Some(Some("arn:aws:kms:us-east-1:111111111111:key/k")));
    assert_eq!(created.s3_access().and_then(|s| s.access_log_location()), Some("s3://logs-bucket/omics/"));
    assert_eq!(created.propagated_set_level_tags(), ["team"]);

    let got = a.get_sequence_store().id(&id).send().await.expect("get");
    assert_eq!(got.name(), Some("flow"));
    assert_eq!(got.description(), Some("a store"));
    assert_eq!(got.creation_time(), created.creation_time());
    assert_eq!(got.update_time(), Some(got.creation_time()), "updateTime equals creationTime until updated");
    assert_eq!(got.status().map(|s| s.as_str()), Some("ACTIVE"));

    let uncovered = a.update_sequence_store().id(&id).fallback_location("s3://elsewhere/q/").send().await;
    assert_eq!(code(&uncovered.expect_err("no role may write there")), "ValidationException");
    let updated = a
        .update_sequence_store()
        .id(&id)
        .name("flow-renamed")
        .description("changed")
        .fallback_location("")
        .send()
        .await
        .expect("update");
    assert_eq!(updated.name(), Some("flow-renamed"));
    assert_eq!(updated.fallback_location(), None, "an empty fallbackLocation clears it");
    assert!(updated.update_time().expect("updateTime") >= updated.creation_time());
    assert_eq!(updated.e_tag_algorithm_family(), Some(&ETagAlgorithmFamily::Sha256Up), "immutable");

    let arn = created.arn();
    a.tag_resource().resource_arn(arn).tags("stage", "test").tags("owner", "me").send().await.expect("tag");
    a.untag_resource().resource_arn(arn).tag_keys("owner").send().await.expect("untag");
    let tags = a.list_tags_for_resource().resource_arn(arn).send().await.expect("list tags");
    let mut keys: Vec<&String> = tags.tags().keys().collect();
    keys.sort();
    assert_eq!(keys, ["stage", "team"]);

    a.delete_sequence_store().id(&id).send().await.expect("delete");
    let gone = a.get_sequence_store().id(&id).send().await.expect_err("deleted");
    assert_eq!(code(&gone), "ResourceNotFoundException");
    server.stop().await;
}

/// More than 100 stores, walked page by page: every store exactly once, in (creationTime, id)
/// order; the default page is 100.
async fn paging(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let server = TestServer::start(&config(&db)).await;
    let a = sdk(&server.endpoint, KEY_A);
    let mut created = Vec::new();
    for i in 0..105 {
        let store = a.create_sequence_store().name(format!("s{i}")).send().await.expect("create");
        created.push(store.id().to_owned());
    }
    let default_page = a.list_sequence_stores().send().await.expect("list");
    assert_eq!(default_page.sequence_stores().len(), 100);
    assert!(default_page.next_token().is_some());

    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let page = a.list_sequence_stores().max_results(10).set_next_token(token.clone()).send().await.expect("page");
        pages += 1;
        assert!(page.sequence_stores().len() <= 10);
        seen.extend(page.sequence_stores().iter().map(|s| (s.creation_time().to_millis().unwrap(), s.id().to_owned())));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 11);
    let ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 105, "each store exactly once");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered by (creationTime, id)");
    assert_eq!(ids.iter().map(|s| s.as_str()).collect::<HashSet<_>>(), created.iter().map(String::as_str).collect());

    let named = a
        .list_sequence_stores()
        .filter(SequenceStoreFilter::builder().name("s7").build())
        .send()
        .await
        .expect("filter");
    assert_eq!(named.sequence_stores().len(), 1, "name is an exact match");
    server.stop().await;
}

/// A store of account A is, for account B, the same 404 as an id that does not exist, on get,
/// update, delete and tag; and absent from B's list.
async fn accounts(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let server = TestServer::start(&config(&db)).await;
    let (a, b) = (sdk(&server.endpoint, KEY_A), sdk(&server.endpoint, KEY_B));
    let store = a.create_sequence_store().name("private").send().await.expect("create");
    let foreign_arn = store.arn().to_owned();
    let missing_arn = foreign_arn.replace(store.id(), "1000000000");
    for id in [store.id(), "1000000000"] {
        let get = b.get_sequence_store().id(id).send().await.expect_err("get");
        assert_eq!(code(&get), "ResourceNotFoundException");
        let update = b.update_sequence_store().id(id).name("x").send().await.expect_err("update");
        assert_eq!(code(&update), "ResourceNotFoundException");
        let delete = b.delete_sequence_store().id(id).send().await.expect_err("delete");
        assert_eq!(code(&delete), "ResourceNotFoundException");
    }
    for arn in [&foreign_arn, &missing_arn] {
        let tag = b.tag_resource().resource_arn(arn).tags("k", "v").send().await.expect_err("tag");
        assert_eq!(code(&tag), "ResourceNotFoundException");
        let list = b.list_tags_for_resource().resource_arn(arn).send().await.expect_err("list tags");
        assert_eq!(code(&list), "ResourceNotFoundException");
    }
    // B naming its own account in A's ARN is still not A's store.
    let own_arn = foreign_arn.replace(KEY_A.2, KEY_B.2);
    let tag = b.tag_resource().resource_arn(own_arn).tags("k", "v").send().await.expect_err("tag");
    assert_eq!(code(&tag), "ResourceNotFoundException");
    let listed = b.list_sequence_stores().send().await.expect("list");
    assert!(listed.sequence_stores().is_empty());
    assert!(a.get_sequence_store().id(store.id()).send().await.is_ok(), "A still sees it");
    server.stop().await;
}

/// clientToken: same token and body → the same store; same token, other body → ValidationException
/// naming clientToken, for UpdateSequenceStore too. The store quota gives 402.
async fn idempotency_and_quota(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let mut config = config(&db);
    config.quotas.sequence_stores = 2;
    let server = TestServer::start(&config).await;
    let a = sdk(&server.endpoint, KEY_A);
    let first = a.create_sequence_store().name("idem").client_token("tok-1").send().await.expect("create");
    let again = a.create_sequence_store().name("idem").client_token("tok-1").send().await.expect("replay");
    assert_eq!(first.id(), again.id());
    let other = a.create_sequence_store().name("other").client_token("tok-1").send().await.expect_err("reuse");
    assert_eq!(code(&other), "ValidationException");
    assert!(format!("{other:?}").contains("clientToken"));
    // The same token is independent per account.
    let b = sdk(&server.endpoint, KEY_B);
    let b_store = b.create_sequence_store().name("other").client_token("tok-1").send().await.expect("B");
    assert_ne!(b_store.id(), first.id());

    update_client_token(&a, &b, first.id(), b_store.id()).await;

    a.create_sequence_store().name("second").send().await.expect("second store");
    let third = a.create_sequence_store().name("third").send().await.expect_err("quota");
    assert_eq!(code(&third), "ServiceQuotaExceededException");
    assert_eq!(third.raw_response().map(|r| r.status().as_u16()), Some(402));
    server.stop().await;
}

/// UpdateSequenceStore's clientToken behaves as every other operation's (#20): the same token with
/// the same store and changes answers as the first call without applying it again; with other
/// changes or another store it is a 400 naming clientToken and changes nothing. Tokens are per
/// account and operation.
async fn update_client_token(a: &aws_sdk_omics::Client, b: &aws_sdk_omics::Client, store: &str, b_store: &str) {
    let update = |description: &str, id: &str, token: &str| {
        a.update_sequence_store().id(id).description(description).client_token(token).send()
    };
    let u1 = update("one", store, "u-1").await.expect("u1");
    let u2 = update("one", store, "u-1").await.expect("the same update again");
    assert_eq!((u2.description(), u2.update_time()), (Some("one"), u1.update_time()), "answered as the first");
    let other = update("two", store, "u-1").await.expect_err("the token with other changes");
    assert_eq!(code(&other), "ValidationException");
    assert_eq!(other.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert!(format!("{other:?}").contains("clientToken 'u-1'"), "{other:?}");
    let unchanged = a.get_sequence_store().id(store).send().await.expect("get");
    assert_eq!((unchanged.description(), unchanged.update_time()), (Some("one"), u1.update_time()));

    // Another store is another request; so is an extra member that is absent in the first.
    let second = a.create_sequence_store().name("idem-2").send().await.expect("second store");
    let elsewhere = update("one", second.id(), "u-1").await.expect_err("the token on another store");
    assert_eq!(code(&elsewhere), "ValidationException");
    let more = a.update_sequence_store().id(store).description("one").name("renamed").client_token("u-1").send().await;
    assert_eq!(code(&more.expect_err("an extra member")), "ValidationException");
    assert_eq!(a.get_sequence_store().id(store).send().await.expect("get").name(), Some("idem"));

    // Replayed after a later update: answered with the store as it is now, not applied again.
    update("three", store, "u-2").await.expect("a later update");
    let replay = update("one", store, "u-1").await.expect("replay");
    assert_eq!(replay.description(), Some("three"), "the first update is not applied again");

    // Per operation: CreateSequenceStore's token tok-1 is free for UpdateSequenceStore. Per
    // account: B's u-1 is not A's.
    assert_eq!(update("four", store, "tok-1").await.expect("tok-1").description(), Some("four"));
    let b_update = b.update_sequence_store().id(b_store).description("b").client_token("u-1").send().await;
    assert_eq!(b_update.expect("B's own u-1").description(), Some("b"));
    a.delete_sequence_store().id(second.id()).send().await.expect("delete the second store");
}

on_both_backends!(full_flow, paging, accounts, idempotency_and_quota);
