//! The customer panel beside a conversation: who they are, their orders and parcels, the
//! decisions taken on them, other records that may be the same person.

use super::*;

pub(super) fn duplicate_view(lang: Lang, d: &madoguchi_store::duplicates::DuplicateSuggestion) -> DuplicateView {
    use madoguchi_store::duplicates::DuplicateReason;
    let t = lang.t();
    let reasons: Vec<String> = d
        .reasons
        .iter()
        .map(|r| match r {
            DuplicateReason::SharedContact { display, .. } => format!("{} {display}", t.duplicate_shared),
            DuplicateReason::SameName => t.duplicate_same_name.to_owned(),
        })
        .collect();
    DuplicateView {
        id: d.customer.id.to_string(),
        name: d.customer.name.clone().unwrap_or_else(|| t.no_name.to_owned()),
        identities: d
            .customer
            .identities
            .iter()
            .map(|i| i18n::identity(lang, i.kind, &i.display))
            .collect::<Vec<_>>()
            .join(" / "),
        reasons: reasons.join("・"),
    }
}

pub(crate) async fn customer_view(
    st: &AppState,
    p: &Principal,
    scope: &Scope,
    lang: Lang,
    c: &Customer,
    ask: Option<(OrderId, Request)>,
    case_asked: Option<(OrderId, CaseKind)>,
) -> Result<CustomerView, ApiError> {
    audit_read(st, p, SubjectType::Customer, &[(c.merchant_id, c.id.to_string())]).await?;
    let merchant = st.store.get_merchant(scope, MerchantKey::Id(c.merchant_id)).await?;
    let orders = st
        .store
        .list_orders(scope, &OrderFilter { customer: Some(c.id), ..Default::default() }, PageRequest::first(20))
        .await?;
    let history = st
        .store
        .list_conversations(
            scope,
            &ConversationFilter { customer: Some(c.id), ..Default::default() },
            PageRequest::first(20),
        )
        .await?;
    let duplicates = if p.can_merge_customers() {
        let found = st.store.duplicate_suggestions(scope, c.id, 5).await?;
        let seen: Vec<_> = found.iter().map(|d| (d.customer.merchant_id, d.customer.id.to_string())).collect();
        audit_read(st, p, SubjectType::Customer, &seen).await?;
        found.iter().map(|d| duplicate_view(lang, d)).collect()
    } else {
        vec![]
    };
    let mut order_views = Vec::with_capacity(orders.items.len());
    for o in &orders.items {
        let panel = match ask {
            Some((id, request)) if id == o.id => {
                let rules = shop_rules(&st.store, scope, o.merchant_id).await?;
                Some(decision_panel(lang, request, rules.version, &rules.decide(o, request)))
            }
            _ => None,
        };
        let recorded = st
            .store
            .order_decisions(scope, o.id)
            .await?
            .iter()
            .map(|r| {
                format!(
                    "{} {} → {}",
                    jst(r.created_at),
                    i18n::request(lang, r.decision.request),
                    i18n::choice(lang, r.choice)
                ) + &r.offer_code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
            })
            .collect();
        let cases = st
            .store
            .order_cases(scope, o.id)
            .await?
            .iter()
            .map(|c| {
                let label =
                    if lang == Lang::Ja { c.kind.label_ja().to_owned() } else { c.kind.as_str().replace('_', " ") };
                (label, c.tasks.iter().filter(|t| t.done_at.is_some()).count(), c.tasks.len(), c.status == "closed")
            })
            .collect();
        let case_form = match case_asked {
            Some((id, kind)) if id == o.id => Some((
                kind.as_str(),
                case_label(lang, kind),
                kind.form()
                    .iter()
                    .map(|f| (f.key, if lang == Lang::Ja { f.label_ja } else { f.label_en }, f.required))
                    .collect(),
            )),
            _ => None,
        };
        order_views.push(OrderView {
            linked: false,
            named: false,
            id: o.id.to_string(),
            number: o.order_number.clone(),
            date: jst(o.ordered_at),
            total: yen(o.total_amount),
            lines: o.lines.iter().map(|l| format!("{} × {}", l.name, l.quantity)).collect(),
            shipments: o
                .shipments
                .iter()
                .map(|s| Shipment {
                    carrier: i18n::carrier(lang, s.carrier),
                    number: s.tracking_number.clone().unwrap_or_else(|| "—".into()),
                    url: s.tracking_number.as_deref().and_then(|n| tracking_url(s.carrier, n)),
                    status: i18n::shipment_status(lang, s.status),
                })
                .collect(),
            panel,
            recorded,
            cases,
            case_form,
        });
    }
    let address = c.address.as_ref().map_or_else(String::new, |a| {
        format!("〒{} {}{}{} {}", a.postal_code, a.prefecture, a.city, a.line1, a.line2.clone().unwrap_or_default())
            .trim()
            .to_owned()
    });
    Ok(CustomerView {
        duplicates,
        name: c.name.clone().unwrap_or_default(),
        kana: c.name_kana.clone().unwrap_or_default(),
        rank: c.rank.clone().unwrap_or_default(),
        identities: c.identities.iter().map(|i| i18n::identity(lang, i.kind, &i.display)).collect(),
        address,
        notes: c.notes.clone().unwrap_or_default(),
        orders: order_views,
        history: history
            .items
            .iter()
            .map(|h| {
                let label = format!(
                    "{} {} {} {}",
                    merchant.ticket(h.number),
                    jst(h.created_at),
                    i18n::channel(lang, h.channel),
                    h.subject.clone().unwrap_or_default()
                );
                (h.id.to_string(), label)
            })
            .collect(),
    })
}
