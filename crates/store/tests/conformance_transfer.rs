//! Store conformance (see `conformance.rs`): a shop's transfer bundle — every column carried,
//! round trips without loss or leak, damaged bundles refused.

mod common;

use common::*;

/// Every table of the schema is either carried by a bundle, with exactly its columns and a
/// kind that matches the declared type, or listed as left behind on purpose.
#[tokio::test]
async fn the_bundle_carries_every_column_of_the_schema() -> Result<()> {
    use madoguchi_store::Dialect;
    use madoguchi_store::transfer::{COLUMNS_NOT_TRANSFERRED, Kind, NOT_TRANSFERRED, TABLES};
    on_each_backend(|s| async move {
        let schema = s.schema_summary().await?;
        let dialect = s.dialect();
        for (table, cols) in &schema.tables {
            let listed = TABLES.iter().find(|t| t.name == table);
            let left = NOT_TRANSFERRED.iter().any(|(t, _)| t == table);
            assert!(listed.is_some() != left, "{table}: bundle it or say why it stays behind");
            let Some(t) = listed else { continue };
            let mut want: Vec<&str> = cols
                .iter()
                .map(|c| c.0.as_str())
                .filter(|c| !COLUMNS_NOT_TRANSFERRED.contains(&(table.as_str(), *c)))
                .collect();
            let mut got: Vec<&str> = t.columns().iter().map(|c| c.0).collect();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "columns of {table}");
            for (col, kind) in t.columns() {
                let declared = &schema.declared_types[&(table.clone(), col.to_owned())];
                let expected: &[&str] = match (dialect, kind) {
                    (Dialect::Sqlite, Kind::Uuid | Kind::User | Kind::Bytes) => &["BLOB"],
                    (Dialect::Sqlite, Kind::I32 | Kind::I64) => &["INTEGER"],
                    (Dialect::Sqlite, Kind::Bool) => &["INTEGER", "BOOLEAN"],
                    (Dialect::Sqlite, _) => &["TEXT"],
                    (Dialect::Postgres, Kind::Uuid | Kind::User) => &["uuid"],
                    (Dialect::Postgres, Kind::Text) => &["text"],
                    (Dialect::Postgres, Kind::I32) => &["integer"],
                    (Dialect::Postgres, Kind::I64) => &["bigint"],
                    (Dialect::Postgres, Kind::Bool) => &["boolean"],
                    (Dialect::Postgres, Kind::Time) => &["timestamp with time zone"],
                    (Dialect::Postgres, Kind::Date) => &["date"],
                    (Dialect::Postgres, Kind::Json) => &["jsonb"],
                    (Dialect::Postgres, Kind::Bytes) => &["bytea"],
                };
                assert!(
                    expected.contains(&declared.as_str()),
                    "{table}.{col} is declared {declared}, listed as {kind:?}"
                );
            }
        }
        for t in TABLES {
            assert!(schema.tables.contains_key(t.name), "{} is listed but not in the schema", t.name);
        }
        Ok(())
    })
    .await
}

/// A merchant with a record in every bundled table.
async fn busy_merchant(s: &Store, slug: &str) -> Result<MerchantId> {
    use madoguchi_core::decision::{Choice, Request, decide};
    use madoguchi_core::kb::ArticleInput;
    use madoguchi_store::channel_accounts::AccountSettings;
    use madoguchi_store::policies::NewDecision;
    let all = Scope::All;
    let nm = NewMerchant {
        slug: slug.into(),
        code: None,
        name: format!("{slug} 商店"),
        greeting: Some(format!("{slug}でございます。")),
        timezone: None,
        business_hours: None,
        closed_days: vec![ClosedDay {
            date: NaiveDate::from_ymd_opt(2026, 12, 31).expect("day"),
            label: "年末".into(),
        }],
        sla: None,
        greetings: None,
        staff_may_reply: None,
    };
    let m = s.create_merchant(None, nm.validate()?).await?.id;
    let agent = s
        .create_user(
            None,
            NewUserRecord {
                public_name: String::new(),
                login: format!("{slug}.agent"),
                display_name: format!("{slug} 担当"),
                role: Role::Agent,
                password_hash: "$argon2id$not-a-real-hash".into(),
                email: None,
                merchants: vec![m],
            },
        )
        .await?;
    let mut p = profile(&format!("{slug} 花子"));
    p.tags = vec!["VIP".into()];
    let hanako = s.create_customer(&all, Some(agent.id), m, &p, &[phone("090-1111-2222")]).await?;
    let other = s.create_customer(&all, None, m, &profile(&format!("{slug} 別人")), &[]).await?;
    s.mark_distinct(&all, Some(agent.id), hanako.id, other.id).await?;
    // Hanako's number, given in a chat by the other customer, waits as a claim.
    s.attach_or_claim_identity(other.id, &phone("090-1111-2222"), Channel::Chat).await?;
    let mut o = order(slug, &format!("{slug}-1"));
    o.customer_id = Some(hanako.id);
    let o = s.create_order(&all, None, m, &o).await?;
    let mut contact = inbound_mail(m, "hanako@example.jp", &format!("{slug}@mail"), &[], None);
    contact.event_id = Some(format!("{slug}-event-1"));
    let received = stored(s.receive(contact).await?);
    let conv = received.conversation;
    let ch = ConversationChange {
        assignee_id: Some(Some(agent.id)),
        tags: Some(vec!["再配達".into()]),
        order_id: Some(Some(o.id)),
        ..Default::default()
    };
    s.update_conversation(&all, Some(agent.id), conv, &ch).await?;
    s.create_escalation(&all, agent.id, conv, "返品を受けますか", now() + chrono::Duration::hours(4)).await?;
    s.create_disposition_code(&all, agent.id, m, "INFO", "案内").await?;
    s.record_wrap_up(&all, agent.id, conv, "INFO", Some("済")).await?;
    s.create_queue(&all, agent.id, m, "配送").await?;
    s.put_script(&all, agent.id, m, "配送", "お届け日をご案内します。").await?;
    s.create_canned_response(&all, agent.id, m, "発送", "発送しました。").await?;
    let account = AccountSettings {
        address: Some(format!("support@{slug}.example.jp")),
        secret: Some("line-secret".into()),
        access_token: None,
        settings: Some(serde_json::json!({ "signature": "よろしくお願いいたします。" })),
    };
    s.upsert_channel_account(&all, m, Channel::Email, &format!("{slug}-inbound-token"), &account).await?;
    let article = ArticleInput {
        external_id: Some("faq-1".into()),
        category: "配送".into(),
        question: "いつ届きますか".into(),
        answer: "3日以内です".into(),
        keywords: vec!["到着".into()],
        published: Some(true),
    };
    s.create_article(&all, None, m, &article.validate()?).await?;
    s.record_unanswered(m, "ギフトケン", "ギフト券").await?;
    s.save_order_import_mapping(&all, None, m, &[("order_number".to_owned(), "受注No".to_owned())].into()).await?;
    s.set_order_webhook_secret(&all, None, m, &format!("{slug}-webhook-secret")).await?;
    let mut policies = madoguchi_core::policy::Policies::default();
    policies.returns.window_days = 14;
    let version = s.save_policies(&all, Some(agent.id), m, &policies).await?;
    let d = decide(&version.policies, &[], &o, Request::Cancel, now());
    let new = NewDecision {
        order: o.id,
        conversation: Some(conv),
        policy_version: version.version,
        decision: &d,
        choice: Choice::Escalated,
        offer_code: None,
        note: Some("発送済み".into()),
    };
    s.record_decision(&all, Some(agent.id), m, &new).await?;
    let mut checklist = madoguchi_core::cases::CaseKind::DeliveryInquiry.default_checklist();
    checklist[0].due_hours = 1;
    s.save_case_checklist(&all, Some(agent.id), m, madoguchi_core::cases::CaseKind::DeliveryInquiry, &checklist)
        .await?;
    let fields = [("question".to_owned(), "いつ届く？".to_owned())].into();
    let case = s
        .open_case(&all, Some(agent.id), o.id, Some(conv), madoguchi_core::cases::CaseKind::DeliveryInquiry, &fields)
        .await?;
    s.complete_task(&all, Some(agent.id), case.id, case.tasks[0].id, Some("確認済み")).await?;
    voice(s, m, slug, agent.id).await?;
    Ok(m)
}

/// A number, a flow and an answered call of Hanako's on the shop.
async fn voice(s: &Store, m: MerchantId, slug: &str, agent: madoguchi_core::ids::UserId) -> Result<()> {
    use madoguchi_core::voice::call::{CallDirection, CallEventKind};
    use madoguchi_core::voice::caller::Caller;
    use madoguchi_store::voice::calls::{NewCall, NewCallEvent};
    use madoguchi_store::voice::numbers::NewPhoneNumber;
    let flow = serde_json::from_value(serde_json::json!({ "start": "q", "steps": { "q": { "kind": "queue" } } }))?;
    let version = s.save_voice_flow(&Scope::All, Some(agent), m, "main", &flow).await?;
    let e164 = format!("+81505{:07}", slug.bytes().map(u32::from).sum::<u32>() % 10_000_000);
    let number = NewPhoneNumber {
        e164: e164.clone(),
        label: "代表".into(),
        flow_name: "main".into(),
        provider: "twilio".into(),
        inbound_token: format!("{slug}-voice-token"),
        account_sid: Some("AC0123".into()),
        auth_token: Some("voice-secret".into()),
    };
    let number = s.add_phone_number(&Scope::All, m, &number).await?;
    let call = NewCall {
        merchant: m,
        phone_number: Some(number.id),
        provider: "twilio".into(),
        provider_call_id: format!("CA-{slug}"),
        direction: CallDirection::Inbound,
        caller: Caller::parse("090-1111-2222"),
        to_e164: e164,
        flow_name: Some("main".into()),
        flow_version: Some(version),
        at: now(),
    };
    let (call, _) = s.start_call(&call).await?;
    for (kind, agent) in
        [(CallEventKind::Queued, None), (CallEventKind::Answered, Some(agent)), (CallEventKind::Ended, None)]
    {
        let e =
            NewCallEvent { kind, at: now(), agent, data: serde_json::json!({}), dedupe_key: Some(kind.to_string()) };
        s.record_call_event(call.id, &e).await?;
    }
    s.add_call_leg(m, call.id, "agent", Some(agent), &format!("CA-leg-{slug}")).await?;
    Ok(())
}

/// Reads every `.jsonl` file of a bundle: file name → its lines, sorted.
fn bundle_lines(dir: &std::path::Path) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let mut lines: Vec<String> = std::fs::read_to_string(&path)?.lines().map(str::to_owned).collect();
            lines.sort();
            out.insert(path.file_name().unwrap_or_default().to_string_lossy().into_owned(), lines);
        }
    }
    Ok(out)
}

/// Export, restore into an empty instance of the same database, export again: every row comes
/// back the same (plus one audit line for the restore), every table is used, and nothing of the
/// other merchant is in the bundle.
#[tokio::test]
async fn a_merchant_bundle_round_trips_without_loss_or_leak() -> Result<()> {
    use madoguchi_store::transfer::{TABLES, TransferError};
    on_each_backend(|s| async move {
        let a = busy_merchant(&s, "a-shop").await?;
        let b = busy_merchant(&s, "b-shop").await?;
        let dir = tempfile::tempdir()?;
        let first = dir.path().join("first");
        let manifest = s.export_merchant(a, &first).await?;
        for f in &manifest.files {
            assert!(f.rows > 0, "{} is empty: the fixture misses a table", f.file);
        }
        assert_eq!(manifest.files.len(), TABLES.len());
        let lines = bundle_lines(&first)?;
        let everything = lines.values().flatten().cloned().collect::<Vec<_>>().join("\n");
        for foreign in [b.to_string(), "b-shop".to_owned(), "b-shop-webhook-secret".to_owned()] {
            assert!(!everything.contains(&foreign), "{foreign} leaked into A's bundle");
        }
        // The attached file and the raw mail travel as files named by their hash.
        let blobs = &lines["blobs.jsonl"];
        assert_eq!(blobs.len(), 2);
        for b in blobs {
            let row: serde_json::Value = serde_json::from_str(b)?;
            let rel = row["data"].as_str().expect("a file reference");
            let bytes = std::fs::read(first.join(rel))?;
            assert_eq!(madoguchi_store::blobs::sha256_hex(&bytes), row["sha256"]);
        }

        // Into an empty instance of the same kind.
        let target = match s.dialect() {
            madoguchi_store::Dialect::Sqlite => sqlite().await?,
            madoguchi_store::Dialect::Postgres => postgres(&pg_url().expect("PostgreSQL")).await?,
        };
        let t = target.store.clone();
        let report = t.import_bundle(&first).await?;
        assert_eq!(report.rows["messages"], lines["messages.jsonl"].len() as u64);
        assert!(report.logins_renamed.is_empty());
        let second = dir.path().join("second");
        t.export_merchant(a, &second).await?;
        let again = bundle_lines(&second)?;
        for (file, rows) in &lines {
            if file == "audit_events.jsonl" {
                let extra: Vec<&String> = again[file].iter().filter(|l| !rows.contains(l)).collect();
                assert_eq!(extra.len(), 1, "one audit line for the restore: {extra:?}");
                assert!(extra[0].contains("restored_bundle"));
                assert!(rows.iter().all(|l| again[file].contains(l)));
            } else {
                assert_eq!(&again[file], rows, "{file} changed on the way");
            }
        }
        // The restored shop works: its conversation, order and case read back through the store.
        let only_a = Scope::Merchants(vec![a]);
        let convs = t.list_conversations(&only_a, &ConversationFilter::default(), PageRequest::first(10)).await?;
        assert_eq!(convs.items.len(), 2, "the mail and the phone call");
        let phone = convs.items.iter().find(|c| c.channel == Channel::Phone).expect("the call's conversation");
        let calls = t.calls_of_conversation(&only_a, phone.id).await?;
        assert_eq!(calls.len(), 1);
        assert!(calls[0].record.answered_at.is_some() && calls[0].record.ended_at.is_some(), "{:?}", calls[0].record);
        assert_eq!(t.call_events(&only_a, calls[0].id).await?.len(), 4, "offered, queued, answered, ended");
        assert!(t.resolve_merchant(&Scope::All, "b-shop").await.is_err(), "only A came over");

        // Twice: refused, nothing changes.
        let twice = t.import_bundle(&first).await;
        assert!(matches!(twice, Err(TransferError::Store(StoreError::Conflict { code: "merchant_exists", .. }))));
        target.drop_schema().await?;
        Ok(())
    })
    .await
}

/// A bundle that was damaged or tampered with is refused whole, with a reason.
#[tokio::test]
async fn a_damaged_or_tampered_bundle_restores_nothing() -> Result<()> {
    use madoguchi_store::transfer::{MANIFEST, Manifest, TransferError};
    on_each_backend(|s| async move {
        let a = busy_merchant(&s, "a-shop").await?;
        let b = busy_merchant(&s, "b-shop").await?;
        let dir = tempfile::tempdir()?;
        let good = dir.path().join("good");
        s.export_merchant(a, &good).await?;
        let copy = |name: &str| -> Result<std::path::PathBuf> {
            let to = dir.path().join(name);
            std::fs::create_dir_all(to.join("files"))?;
            for e in std::fs::read_dir(&good)?.chain(std::fs::read_dir(good.join("files"))?) {
                let p = e?.path();
                if p.is_file() {
                    let rel = p.strip_prefix(&good)?;
                    std::fs::copy(&p, to.join(rel))?;
                }
            }
            Ok(to)
        };
        let reseal = |bundle: &std::path::Path| -> Result<()> {
            let path = bundle.join(MANIFEST);
            let mut m: Manifest = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
            for f in &mut m.files {
                f.sha256 = madoguchi_store::blobs::sha256_hex(&std::fs::read(bundle.join(&f.file))?);
            }
            std::fs::write(&path, serde_json::to_string(&m)?)?;
            Ok(())
        };
        let code_of = |r: Result<madoguchi_store::transfer::RestoreReport, TransferError>| match r {
            Err(TransferError::Bundle { code, message }) => format!("{code}: {message}"),
            other => format!("unexpected {other:?}"),
        };
        // A fresh instance that already has merchant B: a bundle must not reach into it.
        let target = sqlite().await?;
        let t = target.store.clone();
        let b_there = busy_merchant(&t, "b-shop").await?;

        let damaged = copy("damaged")?;
        let msgs = damaged.join("messages.jsonl");
        let text = std::fs::read_to_string(&msgs)?.replace("届きません", "届きました");
        std::fs::write(&msgs, text)?;
        assert!(code_of(t.import_bundle(&damaged).await).starts_with("file_damaged: messages.jsonl"));

        let short = copy("short")?;
        let lines = std::fs::read_to_string(short.join("orders.jsonl"))?;
        std::fs::write(short.join("orders.jsonl"), "")?;
        reseal(&short)?;
        assert!(code_of(t.import_bundle(&short).await).starts_with("incomplete: orders.jsonl"), "{lines}");

        // A customer tag pointing at the other shop's customer on the target.
        let b_customer =
            t.list_customers(&Scope::Merchants(vec![b_there]), &Default::default(), PageRequest::first(1)).await?.items
                [0]
            .id;
        let tampered = copy("tampered")?;
        let tags = tampered.join("customer_tags.jsonl");
        std::fs::write(&tags, format!("{{\"customer_id\":\"{b_customer}\",\"tag\":\"乗っ取り\"}}\n"))?;
        reseal(&tampered)?;
        let msg = code_of(t.import_bundle(&tampered).await);
        assert!(msg.starts_with("bad_row: customer_tags.jsonl:1") && msg.contains("names no customers row"), "{msg}");

        // A row claiming another merchant.
        let foreign = copy("foreign")?;
        let path = foreign.join("queues.jsonl");
        let text = std::fs::read_to_string(&path)?.replace(&a.to_string(), &b.to_string());
        std::fs::write(&path, text)?;
        reseal(&foreign)?;
        let msg = code_of(t.import_bundle(&foreign).await);
        assert!(msg.starts_with("bad_row: queues.jsonl:1") && msg.contains("not the bundle's merchant"), "{msg}");

        // An unknown column, or a value of the wrong kind, names its file and line.
        let typo = copy("typo")?;
        let path = typo.join("orders.jsonl");
        let text = std::fs::read_to_string(&path)?.replacen("\"total_amount\":", "\"total_amount\":\"高い\",\"x\":", 1);
        std::fs::write(&path, text)?;
        reseal(&typo)?;
        let msg = code_of(t.import_bundle(&typo).await);
        assert!(msg.starts_with("bad_row: orders.jsonl:1"), "{msg}");
        let typo = copy("typo-2")?;
        let path = typo.join("orders.jsonl");
        let text = std::fs::read_to_string(&path)?;
        let at = text.find("\"ordered_at\":\"").expect("ordered_at") + 14;
        std::fs::write(&path, format!("{}昨日{}", &text[..at], &text[at + 10..]))?;
        reseal(&typo)?;
        let msg = code_of(t.import_bundle(&typo).await);
        assert!(msg.starts_with("bad_row: orders.jsonl:1") && msg.contains("ordered_at"), "{msg}");

        // A role this desk does not know.
        let unknown = copy("unknown-role")?;
        let path = unknown.join("users.jsonl");
        let text = std::fs::read_to_string(&path)?;
        let role = text.split("\"role\":\"").nth(1).and_then(|r| r.split('"').next()).expect("a role").to_owned();
        std::fs::write(&path, text.replacen(&format!("\"role\":\"{role}\""), "\"role\":\"owner\"", 1))?;
        reseal(&unknown)?;
        let msg = code_of(t.import_bundle(&unknown).await);
        assert!(msg.starts_with("bad_row: users.jsonl") && msg.contains("\"owner\" is not a role"), "{msg}");

        assert!(is_not_found(t.get_merchant(&Scope::All, MerchantKey::Id(a)).await), "nothing was restored");
        let tags_b = t.get_customer(&Scope::All, b_customer).await?.tags;
        assert!(!tags_b.contains(&"乗っ取り".to_owned()));

        // An administrator there would see every shop here: restored as a supervisor.
        let admin = copy("admin")?;
        let path = admin.join("users.jsonl");
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(&path, text.replacen(&format!("\"role\":\"{role}\""), "\"role\":\"admin\"", 1))?;
        reseal(&admin)?;
        let report = t.import_bundle(&admin).await?;
        assert_eq!(report.admins_restored_as_supervisors.len(), 1, "{report:?}");
        let login = &report.admins_restored_as_supervisors[0];
        let (user, _) = t.user_for_login(login).await?.expect("the restored user");
        assert_eq!(user.role, madoguchi_core::enums::Role::Supervisor);
        target.drop_schema().await?;
        Ok(())
    })
    .await
}
