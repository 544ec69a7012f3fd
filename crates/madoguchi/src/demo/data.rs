//! The demo's fixed material: the shops, their catalogues and the stories their customers
//! write about, the names and places customers are drawn from, and the FAQ every shop starts
//! with. `super` turns it into rows.

use chrono::NaiveDate;
use madoguchi_core::calendar::{BusinessHours, HourMinute, OpenInterval};
use madoguchi_core::enums::{Channel, ConversationStatus};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The FAQ every demo shop starts with: category, question, answer (Markdown), keywords.
pub(super) const DEMO_FAQ: [(&str, &str, &str, &[&str]); 8] = [
    (
        "送料・手数料",
        "送料はいくらですか？",
        "全国一律**550円**（税込）です。5,000円以上のご注文で送料無料になります。",
        &["配送料", "送料無料"],
    ),
    (
        "配送",
        "注文した商品はいつ届きますか？",
        "ご注文から1〜3営業日以内に発送いたします。発送後は追跡番号をメールでお知らせします。",
        &["到着", "届かない", "発送日"],
    ),
    (
        "配送",
        "お届け日時を指定できますか？",
        "ご注文画面でお届け希望日と時間帯をお選びいただけます。",
        &["時間指定", "日付指定"],
    ),
    (
        "お支払い方法",
        "利用できる支払い方法を教えてください",
        "- クレジットカード\n- コンビニ払い\n- 代金引換（手数料330円）\n- 後払い",
        &["決済", "代引き"],
    ),
    (
        "返品・交換・キャンセル",
        "返品はできますか？",
        "商品到着後**8日以内**、未使用のものに限り承ります。",
        &["返送", "送り返す"],
    ),
    (
        "返品・交換・キャンセル",
        "届いた商品が壊れていました",
        "大変申し訳ございません。写真を添えてご連絡ください。送料当店負担で交換いたします。",
        &["破損", "傷", "不良品"],
    ),
    (
        "返品・交換・キャンセル",
        "注文をキャンセルしたい",
        "発送前であればマイページからキャンセルできます。",
        &["取り消し"],
    ),
    ("会員・ポイント", "ポイントの有効期限は？", "最後のお買い物から1年間です。", &["失効"]),
];

/// A shop of the demo and what its customers write about.
pub(super) struct ShopSpec {
    pub(super) slug: &'static str,
    pub(super) name: &'static str,
    pub(super) greeting: &'static str,
    pub(super) hours: BusinessHours,
    pub(super) closed: &'static [(i32, u32, u32, &'static str)],
    pub(super) order_prefix: &'static str,
    pub(super) catalog: &'static [(&'static str, &'static str, i64, &'static str)],
    pub(super) stories: &'static [Story],
}

/// One kind of inquiry: category, subject, what the customer says, what the agent answers.
pub(super) struct Story {
    pub(super) category: &'static str,
    pub(super) queue: &'static str,
    pub(super) subject: &'static str,
    pub(super) inbound: &'static str,
    pub(super) reply: &'static str,
    pub(super) needs_order: bool,
}

pub(super) const GIFT_CATALOG: &[(&str, &str, i64, &str)] = &[
    ("HM-FL-001", "母の日 カーネーション鉢植え（赤）", 4_980, "花・鉢植え"),
    ("HM-FL-014", "季節のアレンジメント M", 5_500, "花・鉢植え"),
    ("HM-SW-203", "老舗和菓子 詰め合わせ 12個入", 3_240, "食品"),
    ("HM-SW-230", "焼き菓子ギフト 20個入", 3_780, "食品"),
    ("HM-TW-410", "今治タオル ギフトセット", 5_400, "日用品"),
    ("HM-CT-900", "カタログギフト 菫コース", 10_800, "カタログ"),
    ("HM-BD-112", "プリザーブドフラワー ボックス", 6_600, "花・鉢植え"),
];

pub(super) const PRODUCE_CATALOG: &[(&str, &str, i64, &str)] = &[
    ("YH-VG-010", "旬の野菜セット S（6〜8品）", 2_980, "生鮮"),
    ("YH-VG-020", "旬の野菜セット L（10〜12品）", 4_580, "生鮮"),
    ("YH-FR-105", "有田みかん 5kg 家庭用", 3_600, "生鮮"),
    ("YH-FR-120", "青森りんご サンふじ 10kg", 6_800, "生鮮"),
    ("YH-RC-300", "新米 コシヒカリ 10kg", 5_980, "米"),
    ("YH-EG-050", "平飼いたまご 30個", 2_400, "生鮮"),
    ("YH-SB-001", "定期便 野菜セット（隔週）", 3_280, "定期便"),
];

pub(super) const GIFT_STORIES: &[Story] = &[
    Story {
        category: "配送",
        queue: "配送",
        subject: "商品がまだ届きません",
        needs_order: true,
        inbound: "お世話になっております。{order}で注文したギフトがまだ届いていないようです。いつ頃お届けになりますか？",
        reply: "お問い合わせありがとうございます。ご注文{order}は{carrier}にて発送済みで、伝票番号は{tracking}です。配送状況は運送会社のサイトでもご確認いただけます。",
    },
    Story {
        category: "ギフト・のし",
        queue: "注文・支払い",
        subject: "のしの表書きを変更したい",
        needs_order: true,
        inbound: "母の日用に注文しましたが、のしの表書きを「御祝」から「感謝」に変えていただくことはできますか。",
        reply: "ご連絡ありがとうございます。ご注文{order}はまだ出荷前のため、のしの表書きを「感謝」に変更いたしました。",
    },
    Story {
        category: "返品・交換",
        queue: "返品・交換",
        subject: "届いたお花がしおれていた",
        needs_order: true,
        inbound: "本日届いたアレンジメントのお花が一部しおれていました。贈り物なので交換をお願いしたいです。",
        reply: "このたびはご迷惑をおかけし申し訳ございません。お手数ですが、お花の写真をお送りいただけますでしょうか。確認後、すぐに代わりの品をお送りいたします。",
    },
    Story {
        category: "お届け日指定",
        queue: "配送",
        subject: "お届け日を変更したい",
        needs_order: true,
        inbound: "先方の都合でお届け日を来週の土曜日に変更したいのですが、可能でしょうか。",
        reply: "承知いたしました。ご注文{order}のお届け日を変更いたしました。時間帯のご希望があればお知らせください。",
    },
    Story {
        category: "注文・支払い",
        queue: "注文・支払い",
        subject: "払込票を紛失しました",
        needs_order: true,
        inbound: "コンビニ払いの払込票をなくしてしまいました。再発行していただけますか？",
        reply: "お問い合わせありがとうございます。払込票を再発行し、ご登録のメールアドレスにお送りしました。お支払い期限は発行日から7日間です。",
    },
    Story {
        category: "キャンセル",
        queue: "注文・支払い",
        subject: "注文を取り消したい",
        needs_order: true,
        inbound: "注文番号{order}をキャンセルしたいです。手続きをお願いします。",
        reply: "ご連絡ありがとうございます。ご注文{order}のキャンセルを承りました。ご返金の手続きについては別途メールでご案内いたします。",
    },
    Story {
        category: "商品について",
        queue: "商品",
        subject: "カタログギフトの有効期限",
        needs_order: false,
        inbound: "いただいたカタログギフトの申込期限はいつまででしょうか。",
        reply: "カタログギフトのお申し込み期限は、お届けから6か月間となっております。はがき、またはWebからお申し込みいただけます。",
    },
];

pub(super) const PRODUCE_STORIES: &[Story] = &[
    Story {
        category: "配送",
        queue: "配送",
        subject: "不在で持ち戻りになっていた",
        needs_order: true,
        inbound: "不在票が入っていました。野菜セットの再配達をお願いできますか？明日の夕方なら家にいます。",
        reply: "ご連絡ありがとうございます。{carrier}（伝票番号{tracking}）へ、明日18〜20時の再配達を依頼いたしました。",
    },
    Story {
        category: "不良品",
        queue: "返品・交換",
        subject: "トマトが傷んでいました",
        needs_order: true,
        inbound: "昨日届いた野菜セットのトマトが3個つぶれていました。写真を送ります。",
        reply: "ご不便をおかけし申し訳ございません。お写真を確認いたしました。傷んでいた分は次回のお届けに同梱してお送りいたします。",
    },
    Story {
        category: "定期便",
        queue: "注文・支払い",
        subject: "定期便を一回お休みしたい",
        needs_order: false,
        inbound: "来月は旅行に行くので、定期便を一回だけお休みしたいです。",
        reply: "承知いたしました。来月分の定期便をお休みに設定いたしました。再来月から通常どおりお届けします。",
    },
    Story {
        category: "注文・支払い",
        queue: "注文・支払い",
        subject: "請求金額が違う",
        needs_order: true,
        inbound: "注文時の金額と請求金額が違うようです。確認していただけますか。",
        reply: "ご確認ありがとうございます。ご注文{order}は送料とクール便手数料が加算されております。明細をメールでお送りいたしました。",
    },
    Story {
        category: "商品について",
        queue: "商品",
        subject: "みかんの収穫時期",
        needs_order: false,
        inbound: "有田みかんはいつ頃から注文できますか？",
        reply: "有田みかんは例年11月上旬から出荷を始めております。入荷のお知らせをご希望でしたらご登録ください。",
    },
    Story {
        category: "キャンセル",
        queue: "注文・支払い",
        subject: "注文をキャンセルしたい",
        needs_order: true,
        inbound: "間違えて同じ商品を二つ注文してしまいました。一つキャンセルできますか？",
        reply: "ご連絡ありがとうございます。重複していたご注文{order}をキャンセルいたしました。",
    },
    Story {
        category: "配送",
        queue: "配送",
        subject: "届け先の住所を間違えた",
        needs_order: true,
        inbound: "お届け先の番地を間違えて入力してしまいました。まだ変更できますか？",
        reply: "まだ出荷前でしたので、お届け先を訂正いたしました。正しいご住所でお届けいたします。",
    },
];

/// Surname, its reading, its romaji (for e-mail addresses).
pub(super) const SURNAMES: &[(&str, &str, &str)] = &[
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("清水", "シミズ", "shimizu"),
    ("斎藤", "サイトウ", "saito"),
    ("森", "モリ", "mori"),
    ("阿部", "アベ", "abe"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
];

pub(super) const GIVEN_NAMES: &[(&str, &str, &str)] = &[
    ("陽子", "ヨウコ", "yoko"),
    ("恵美", "エミ", "emi"),
    ("真由美", "マユミ", "mayumi"),
    ("美咲", "ミサキ", "misaki"),
    ("花子", "ハナコ", "hanako"),
    ("由美子", "ユミコ", "yumiko"),
    ("さくら", "サクラ", "sakura"),
    ("直子", "ナオコ", "naoko"),
    ("健太", "ケンタ", "kenta"),
    ("大輔", "ダイスケ", "daisuke"),
    ("翔太", "ショウタ", "shota"),
    ("拓也", "タクヤ", "takuya"),
    ("誠", "マコト", "makoto"),
    ("浩", "ヒロシ", "hiroshi"),
    ("和也", "カズヤ", "kazuya"),
    ("一郎", "イチロウ", "ichiro"),
    ("智子", "トモコ", "tomoko"),
    ("裕子", "ユウコ", "yuko"),
    ("優子", "ユウコ", "yuko"),
    ("隆", "タカシ", "takashi"),
];

/// Postal code, prefecture, city, town.
pub(super) const PLACES: &[(&str, &str, &str, &str)] = &[
    ("150-0001", "東京都", "渋谷区", "神宮前"),
    ("160-0022", "東京都", "新宿区", "新宿"),
    ("221-0835", "神奈川県", "横浜市神奈川区", "鶴屋町"),
    ("330-0063", "埼玉県", "さいたま市浦和区", "高砂"),
    ("260-0013", "千葉県", "千葉市中央区", "中央"),
    ("460-0008", "愛知県", "名古屋市中区", "栄"),
    ("530-0001", "大阪府", "大阪市北区", "梅田"),
    ("604-8005", "京都府", "京都市中京区", "恵比須町"),
    ("650-0021", "兵庫県", "神戸市中央区", "三宮町"),
    ("730-0011", "広島県", "広島市中区", "基町"),
    ("810-0001", "福岡県", "福岡市中央区", "天神"),
    ("060-0001", "北海道", "札幌市中央区", "北一条西"),
    ("980-0021", "宮城県", "仙台市青葉区", "中央"),
    ("900-0015", "沖縄県", "那覇市", "久茂地"),
    ("640-8156", "和歌山県", "和歌山市", "七番丁"),
    ("030-0801", "青森県", "青森市", "新町"),
];

pub(super) const BUILDINGS: &[&str] =
    &["", "", "", "グランメゾン201", "コーポ桜302", "パークハイツ1105", "メゾン緑ヶ丘A-3"];

pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

pub(super) fn interval(open: &str, close: &str) -> Vec<OpenInterval> {
    match (HourMinute::parse(open), HourMinute::parse(close)) {
        (Some(open), Some(close)) => vec![OpenInterval { open, close }],
        _ => vec![],
    }
}

pub(super) fn shops() -> [ShopSpec; 2] {
    let mut gift_hours = BusinessHours::weekdays_9_to_18();
    gift_hours.sat = interval("10:00", "17:00");
    let produce_day = interval("08:00", "17:00");
    let produce_hours = BusinessHours {
        mon: produce_day.clone(),
        tue: produce_day.clone(),
        wed: produce_day.clone(),
        thu: produce_day.clone(),
        fri: produce_day.clone(),
        sat: produce_day,
        sun: vec![],
        closed_on_national_holidays: false,
    };
    [
        ShopSpec {
            slug: "hanamaru-gift",
            name: "ギフトの花まる",
            greeting: "お電話ありがとうございます。ギフトの花まる、お客様窓口でございます。",
            hours: gift_hours,
            closed: &[
                (2026, 12, 31, "年末休業"),
                (2027, 1, 1, "年始休業"),
                (2027, 1, 2, "年始休業"),
                (2027, 1, 3, "年始休業"),
            ],
            order_prefix: "HM",
            catalog: GIFT_CATALOG,
            stories: GIFT_STORIES,
        },
        ShopSpec {
            slug: "yasai-hatake",
            name: "産直やさい畑",
            greeting: "お電話ありがとうございます。産直やさい畑でございます。",
            hours: produce_hours,
            closed: &[
                (2026, 12, 30, "年末年始休業"),
                (2026, 12, 31, "年末年始休業"),
                (2027, 1, 1, "年末年始休業"),
                (2027, 1, 4, "棚卸し"),
            ],
            order_prefix: "YH",
            catalog: PRODUCE_CATALOG,
            stories: PRODUCE_STORIES,
        },
    ]
}

/// Channel mix of an EC desk: the phone still carries most contacts.
pub(super) const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Phone, 45),
    (Channel::Email, 20),
    (Channel::Chat, 13),
    (Channel::Line, 12),
    (Channel::WebForm, 6),
    (Channel::Fax, 2),
    (Channel::Postcard, 1),
    (Channel::WalkIn, 1),
];

pub(super) fn pick_channel(rng: &mut ChaCha8Rng) -> Channel {
    let total: u32 = CHANNELS.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total);
    for (c, w) in CHANNELS {
        if n < *w {
            return *c;
        }
        n -= w;
    }
    Channel::Other
}

pub(super) fn pick_status(rng: &mut ChaCha8Rng, age_days: i64) -> ConversationStatus {
    // Older contacts are mostly finished; today's are mostly still open.
    let n = rng.random_range(0..100) + if age_days > 7 { 40 } else { 0 };
    match n {
        0..=14 => ConversationStatus::New,
        15..=34 => ConversationStatus::Open,
        // Escalated is only ever set by an escalation to the shop, never as a bare status.
        35..=49 => ConversationStatus::Pending,
        50..=99 => ConversationStatus::Resolved,
        _ => ConversationStatus::Closed,
    }
}
