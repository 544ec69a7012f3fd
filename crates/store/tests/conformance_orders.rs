//! Store conformance (see `conformance.rs`): orders and shipments, order files, policies and
//! decisions, delivery cases and their checklists.

mod common;

use common::*;

#[tokio::test]
async fn orders_shipments_and_bulk_upsert() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let o = s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1001")).await?;
        assert_eq!(o.total_amount, 4200);
        assert_eq!(o.lines.len(), 1);
        assert_eq!(o.shipments[0].tracking_number.as_deref(), Some("123456789013"));
        assert_eq!(o.shipments[0].events.len(), 1);
        let dup = s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1001")).await;
        assert!(matches!(dup, Err(StoreError::Conflict { code: "order_number_taken", .. })));
        // The same number at another shop is another order.
        s.create_order(&Scope::All, None, b, &order("b-shop", "HM-1001")).await?;

        // Upserting twice changes nothing the second time.
        let batch = vec![(a, order("a-shop", "HM-1001")), (a, order("a-shop", "HM-1002"))];
        let first = s.upsert_orders(&Scope::All, None, &batch).await?;
        let second = s.upsert_orders(&Scope::All, None, &batch).await?;
        use madoguchi_store::orders::UpsertOutcome::*;
        assert_eq!(first.iter().map(|r| r.1).collect::<Vec<_>>(), vec![Updated, Created]);
        assert_eq!(second.iter().map(|r| r.1).collect::<Vec<_>>(), vec![Updated, Updated]);
        let again = s.get_order(&Scope::All, o.id).await?;
        assert_eq!(again.shipments.len(), 1);
        assert_eq!(again.shipments[0].events.len(), 1);
        assert_eq!(again.lines.len(), 1);
        assert_eq!(again.lines[0].id, o.lines[0].id, "the line kept its id");

        // A batch with a foreign customer stores nothing at all.
        let foreign = s.create_customer(&Scope::All, None, b, &profile("B客"), &[]).await?;
        let mut bad = order("a-shop", "HM-1003");
        bad.customer_id = Some(foreign.id);
        let res = s.upsert_orders(&Scope::All, None, &[(a, order("a-shop", "HM-1004")), (a, bad)]).await;
        assert!(is_not_found(res));
        let f = madoguchi_store::orders::OrderFilter { order_number: Some("HM-1004".into()), ..Default::default() };
        assert!(s.list_orders(&Scope::All, &f, PageRequest::first(10)).await?.items.is_empty());

        // Delivery event updates the parcel.
        let sh = o.shipments[0].id;
        let delivered_at = now();
        let ev = NewShipmentEvent {
            status: ShipmentStatus::Delivered,
            occurred_at: delivered_at,
            location: None,
            note: None,
        };
        let after = s.add_shipment_event(&Scope::All, None, sh, &ev).await?;
        assert_eq!(after.status, ShipmentStatus::Delivered);
        assert_eq!(after.delivered_at, Some(delivered_at));
        assert!(is_not_found(s.get_shipment(&Scope::Merchants(vec![b]), sh).await));
        s.delete_shipment(&Scope::All, None, sh).await?;
        assert!(s.get_order(&Scope::All, o.id).await?.shipments.is_empty());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn order_file_mappings_and_known_numbers_per_merchant() -> Result<()> {
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        assert!(s.order_import_mapping(&Scope::All, a).await?.is_empty());
        let columns: std::collections::BTreeMap<String, String> =
            [("order_number".to_owned(), "伝票No".to_owned()), ("sku".to_owned(), "品番".to_owned())].into();
        s.save_order_import_mapping(&Scope::All, None, a, &columns).await?;
        let mut changed = columns.clone();
        changed.insert("order_number".into(), "受注No".into());
        s.save_order_import_mapping(&Scope::All, None, a, &changed).await?;
        assert_eq!(s.order_import_mapping(&Scope::All, a).await?, changed, "the last one saved");
        assert!(s.order_import_mapping(&Scope::All, b).await?.is_empty(), "another shop's is its own");
        let only_b = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.order_import_mapping(&only_b, a).await));
        assert!(is_not_found(s.save_order_import_mapping(&only_b, None, a, &columns).await));

        s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1")).await?;
        s.create_order(&Scope::All, None, b, &order("b-shop", "HM-2")).await?;
        // More numbers than one statement takes.
        let asked: Vec<String> = (0..1200).map(|i| format!("HM-{i}")).collect();
        let known = s.existing_order_numbers(&Scope::All, a, &asked).await?;
        assert_eq!(known, ["HM-1".to_owned()].into(), "only this shop's numbers");

        // A parcel without a tracking number is the same parcel when the order comes again.
        let mut o = order("a-shop", "HM-3");
        o.shipments[0].tracking_number = None;
        s.upsert_orders(&Scope::All, None, &[(a, o.clone())]).await?;
        s.upsert_orders(&Scope::All, None, &[(a, o)]).await?;
        let f = madoguchi_store::orders::OrderFilter { order_number: Some("HM-3".into()), ..Default::default() };
        let stored = s.list_orders(&Scope::All, &f, PageRequest::first(10)).await?.items;
        assert_eq!(stored[0].shipments.len(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn policies_are_versioned_per_merchant_and_decisions_name_their_version() -> Result<()> {
    use madoguchi_core::decision::{Choice, Request, decide};
    use madoguchi_core::policy::Policies;
    use madoguchi_store::policies::NewDecision;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let first = s.current_policies(&Scope::All, a).await?;
        assert_eq!((first.version, first.created_at), (0, None));
        assert_eq!(first.policies, Policies::default());
        let mut edited = Policies::default();
        edited.returns.window_days = 14;
        assert_eq!(s.save_policies(&Scope::All, None, a, &edited).await?.version, 1);
        edited.returns.window_days = 30;
        assert_eq!(s.save_policies(&Scope::All, None, a, &edited).await?.version, 2);
        let now_a = s.current_policies(&Scope::All, a).await?;
        assert_eq!((now_a.version, now_a.policies.returns.window_days), (2, 30));
        assert_eq!(s.current_policies(&Scope::All, b).await?.version, 0, "another shop keeps its own");
        let only_b = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.current_policies(&only_b, a).await));
        assert!(is_not_found(s.save_policies(&only_b, None, a, &edited).await));

        let o = s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1")).await?;
        let d = decide(&now_a.policies, &[], &o, Request::Cancel, now());
        let new = NewDecision {
            order: o.id,
            conversation: None,
            policy_version: now_a.version,
            decision: &d,
            choice: Choice::Escalated,
            offer_code: None,
            note: Some("発送済み".into()),
        };
        s.record_decision(&Scope::All, None, a, &new).await?;
        let recorded = s.order_decisions(&Scope::All, o.id).await?;
        assert_eq!(recorded.len(), 1);
        assert_eq!((recorded[0].policy_version, recorded[0].choice), (2, Choice::Escalated));
        assert_eq!(recorded[0].decision, d, "the decision reads back as it was");
        assert!(is_not_found(s.order_decisions(&only_b, o.id).await));
        // Recorded under another merchant, the order is not found by the database itself.
        assert!(s.record_decision(&Scope::All, None, b, &new).await.is_err());
        Ok(())
    })
    .await
}

/// A shop's own checklist replaces the built-in one for cases opened afterwards; a reset goes
/// back; another shop neither sees nor changes it.
#[tokio::test]
async fn a_shops_own_checklist_is_what_new_cases_get() -> Result<()> {
    use madoguchi_core::cases::{CaseKind, ChecklistTask, TaskOwner, validate_checklist};
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let o = s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1")).await?;
        let kind = CaseKind::DamagedInTransit;
        let (builtin, custom) = s.case_checklist(&Scope::All, a, kind).await?;
        assert_eq!((builtin, custom), (kind.default_checklist(), false));
        // The form's required fields, filled; the checklist is what matters here.
        let fields: std::collections::BTreeMap<String, String> =
            kind.form().iter().filter(|f| f.required).map(|f| (f.key.to_owned(), "あり".to_owned())).collect();
        assert!(!kind.settled_on_desk(), "the built-in checklist has a task for the shop");
        let own = validate_checklist(&[
            ChecklistTask {
                key: String::new(), title: "写真を受け取る".into(), owner: TaskOwner::Desk, due_hours: 2
            },
            ChecklistTask {
                key: String::new(), title: "代品を手配する".into(), owner: TaskOwner::Desk, due_hours: 24
            },
        ])?;
        s.save_case_checklist(&Scope::All, None, a, kind, &own).await?;
        assert_eq!(s.case_checklist(&Scope::All, a, kind).await?, (own.clone(), true));
        assert!(!s.case_checklist(&Scope::All, b, kind).await?.1, "another shop keeps the built-in one");
        let only_b = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.case_checklist(&only_b, a, kind).await));
        assert!(is_not_found(s.save_case_checklist(&only_b, None, a, kind, &own).await));
        assert!(is_not_found(s.reset_case_checklist(&only_b, None, a, kind).await));

        let case = s.open_case(&Scope::All, None, o.id, None, kind, &fields).await?;
        let titles: Vec<&str> = case.tasks.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, ["写真を受け取る", "代品を手配する"]);
        assert_eq!(case.tasks[1].due_at, case.created_at + chrono::Duration::hours(24));
        // All the desk's: the case closes as settled on the desk, though the built-in list
        // has tasks for the shop.
        let mut last = case.clone();
        for t in &case.tasks {
            last = s.complete_task(&Scope::All, None, case.id, t.id, None).await?;
        }
        assert_eq!(last.resolution.as_deref(), Some("settled_on_desk"));

        s.reset_case_checklist(&Scope::All, None, a, kind).await?;
        assert_eq!(s.case_checklist(&Scope::All, a, kind).await?, (kind.default_checklist(), false));
        let again = s.open_case(&Scope::All, None, o.id, None, kind, &fields).await?;
        assert_eq!(again.tasks.len(), kind.checklist().len());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn cases_open_their_checklist_and_close_with_the_last_task() -> Result<()> {
    use madoguchi_core::cases::CaseKind;
    use madoguchi_store::cases::TaskFilter;
    on_each_backend(|s| async move {
        let a = merchant(&s, "a-shop").await?;
        let b = merchant(&s, "b-shop").await?;
        let o = s.create_order(&Scope::All, None, a, &order("a-shop", "HM-1")).await?;
        let fields = [("amount".to_owned(), "4200".to_owned()), ("method".to_owned(), "銀行振込".to_owned())].into();
        let case = s.open_case(&Scope::All, None, o.id, None, CaseKind::RefundProcessing, &fields).await?;
        assert_eq!(case.tasks.len(), CaseKind::RefundProcessing.checklist().len());
        assert_eq!((case.status.as_str(), case.fields["amount"].as_str()), ("open", "4200"));
        let only_b = Scope::Merchants(vec![b]);
        assert!(is_not_found(s.get_case(&only_b, case.id).await));
        assert!(is_not_found(s.open_case(&only_b, None, o.id, None, CaseKind::Redelivery, &fields).await));
        assert!(is_not_found(s.complete_task(&only_b, None, case.id, case.tasks[0].id, None).await));
        let queue = s
            .list_tasks(&Scope::All, &TaskFilter { merchant: Some(a), open_only: true, ..Default::default() }, 10)
            .await?;
        assert_eq!(queue.len(), case.tasks.len());
        assert!(s.list_tasks(&only_b, &TaskFilter { open_only: true, ..Default::default() }, 10).await?.is_empty());
        let mut last = case.clone();
        for t in &case.tasks {
            last = s.complete_task(&Scope::All, None, case.id, t.id, Some("済")).await?;
        }
        assert_eq!((last.status.as_str(), last.resolution.as_deref()), ("closed", Some("settled_with_merchant")));
        assert!(last.closed_at.is_some());
        // Again: nothing changes.
        let again = s.complete_task(&Scope::All, None, case.id, case.tasks[0].id, None).await?;
        assert_eq!(again.tasks[0].done_at, last.tasks[0].done_at);

        // Two agents mark the last task at once: one record, one closing.
        let other = s
            .open_case(
                &Scope::All,
                None,
                o.id,
                None,
                CaseKind::DeliveryInquiry,
                &[("question".to_owned(), "いつ届く？".to_owned())].into(),
            )
            .await?;
        s.complete_task(&Scope::All, None, other.id, other.tasks[0].id, None).await?;
        let last_task = other.tasks[1].id;
        let (x, y) = tokio::join!(
            s.complete_task(&Scope::All, None, other.id, last_task, Some("一人目")),
            s.complete_task(&Scope::All, None, other.id, last_task, Some("二人目"))
        );
        assert_eq!((x?.status, y?.status), ("closed".to_owned(), "closed".to_owned()));
        let f = madoguchi_store::audit::AuditFilter { subject_id: Some(other.id.to_string()), ..Default::default() };
        let log = s.list_audit_events(&Scope::All, &f, PageRequest::first(50)).await?.items;
        assert_eq!(log.len(), 4, "opened, two tasks, closed: {log:?}");
        Ok(())
    })
    .await
}
