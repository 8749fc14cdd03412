//! The embedded sandbox provider through `Payments`: no network, its page
//! on the main service, its status the ledger's.

use crate::support;

use payments::provider::{sandbox_page_html, SANDBOX_PATH};
use payments::{PaymentError, Payments, Status, StripeSecrets};

async fn sandbox_payments(db: &support::TestDb) -> Payments {
    Payments::open(
        &db.location,
        "https://hifate.example/",
        StripeSecrets::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn without_a_key_the_sandbox_serves_checkouts() {
    let db = support::TestDb::sqlite();
    let payments = sandbox_payments(&db).await;
    assert_eq!(payments.provider().name(), "sandbox");
    let session = payments
        .create_checkout(&support::request(Some("sb-1")))
        .await
        .unwrap();
    assert_eq!(session.status, Status::Open);
    assert_eq!(
        session.provider_session_id.as_deref(),
        Some(session.id.as_str())
    );
    assert_eq!(
        session.checkout_url.as_deref(),
        Some(format!("https://hifate.example{SANDBOX_PATH}{}", session.id).as_str())
    );
    // Idempotent like any provider.
    assert_eq!(
        payments
            .create_checkout(&support::request(Some("sb-1")))
            .await
            .unwrap(),
        session
    );

    let page = sandbox_page_html(&session);
    assert!(page.contains("12.34 USD") && page.contains(&format!("{}/complete", session.id)));

    let paid = payments.sandbox_complete(&session.id).await.unwrap();
    assert_eq!(paid.status, Status::Paid);
    // The sandbox's status is the ledger's.
    assert_eq!(
        payments
            .provider()
            .retrieve(&session.id)
            .await
            .unwrap()
            .status,
        Status::Paid
    );
    assert_eq!(
        payments.refresh(&session.id).await.unwrap().status,
        Status::Paid
    );
    // Pressing again is harmless; cancelling a paid session is refused.
    assert_eq!(
        payments.sandbox_complete(&session.id).await.unwrap().status,
        Status::Paid
    );
    assert!(matches!(
        payments.sandbox_cancel(&session.id).await,
        Err(PaymentError::Transition { .. })
    ));
    assert!(!sandbox_page_html(&paid).contains("<form"));
    let sources: Vec<_> = payments
        .ledger()
        .events(&session.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.source)
        .collect();
    assert_eq!(sources, ["create", "sandbox", "sandbox"]);
}

#[tokio::test]
async fn cancel_and_unknown_ids() {
    let db = support::TestDb::sqlite();
    let payments = sandbox_payments(&db).await;
    let session = payments
        .create_checkout(&support::request(None))
        .await
        .unwrap();
    assert_eq!(
        payments.sandbox_cancel(&session.id).await.unwrap().status,
        Status::Canceled
    );
    let err = payments.get("ps_nope").await.unwrap_err();
    assert!(
        matches!(err, PaymentError::NotFound(_)) && err.to_string().starts_with("session_id: ")
    );
    assert!(matches!(
        payments.sandbox_complete("ps_nope").await,
        Err(PaymentError::NotFound(_))
    ));
}

#[tokio::test]
async fn invalid_requests_write_nothing() {
    let db = support::TestDb::sqlite();
    let payments = sandbox_payments(&db).await;
    let mut bad = support::request(Some("bad"));
    bad.amount = "1e3".into();
    assert_eq!(
        payments.create_checkout(&bad).await.unwrap_err().field(),
        Some("amount")
    );
    assert!(payments
        .ledger()
        .get_by_idempotency_key("bad")
        .await
        .unwrap()
        .is_none());
}

#[test]
fn page_escapes_what_the_client_sent() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = support::TestDb::sqlite();
        let payments = sandbox_payments(&db).await;
        let mut r = support::request(None);
        r.product_name = "<script>alert('x')</script> & co".into();
        let session = payments.create_checkout(&r).await.unwrap();
        let page = sandbox_page_html(&session);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    });
}
