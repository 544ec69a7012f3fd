//! Customers (お客様) of one merchant: names with kana, identities, address, rank and notes.

use serde::{Deserialize, Serialize};

use crate::identity::{IdentityKind, NormalizedIdentity, normalize, normalize_postal_code};
use crate::ids::{CustomerId, IdentityId, MerchantId};
use crate::validation::{ValidationError, limits, nfkc, optional, tags};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    pub merchant_id: MerchantId,
    pub name: Option<String>,
    /// Reading in katakana (フリガナ).
    pub name_kana: Option<String>,
    pub identities: Vec<Identity>,
    pub address: Option<Address>,
    pub tags: Vec<String>,
    /// The shop's rank for this customer, e.g. `VIP`.
    pub rank: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Identity {
    pub id: IdentityId,
    pub kind: IdentityKind,
    /// Normalised form used for lookups (E.164 for phones, lower case for e-mail).
    pub value: String,
    /// The form to show (090-1234-5678).
    pub display: String,
}

/// A Japanese postal address. `postal_code` is stored as `123-4567`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub postal_code: String,
    /// 都道府県
    pub prefecture: String,
    /// 市区町村
    pub city: String,
    /// 番地
    pub line1: String,
    /// 建物名・部屋番号
    #[serde(default)]
    pub line2: Option<String>,
}

impl Address {
    pub fn validate(self) -> Result<Address, ValidationError> {
        Ok(Address {
            postal_code: normalize_postal_code(&self.postal_code)?,
            prefecture: crate::validation::required("address.prefecture", &self.prefecture, limits::SHORT)?,
            city: crate::validation::required("address.city", &self.city, limits::SHORT)?,
            line1: crate::validation::required("address.line1", &self.line1, limits::SHORT)?,
            line2: optional("address.line2", self.line2.as_deref(), limits::SHORT)?,
        })
    }
}

/// An identity as a client sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    pub kind: IdentityKind,
    pub value: String,
}

impl IdentityInput {
    pub fn normalize(&self) -> Result<NormalizedIdentity, ValidationError> {
        normalize(self.kind, &self.value)
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// Merchant id or slug.
    pub merchant: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub name_kana: Option<String>,
    #[serde(default)]
    pub identities: Vec<IdentityInput>,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub rank: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub name_kana: Option<String>,
    /// `null` removes the address.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Address>)]
    pub address: Option<Option<Address>>,
    pub tags: Option<Vec<String>>,
    pub rank: Option<String>,
    pub notes: Option<String>,
}

/// Distinguishes an absent field (keep) from `null` (clear).
pub mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// The editable profile fields of a customer after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerProfile {
    pub name: Option<String>,
    pub name_kana: Option<String>,
    pub address: Option<Address>,
    pub tags: Vec<String>,
    pub rank: Option<String>,
    pub notes: Option<String>,
}

impl CustomerProfile {
    /// A customer known by name alone (a typed-in postcard, imported history without contact
    /// details).
    pub fn named(name: &str) -> Self {
        CustomerProfile {
            name: Some(name.to_owned()),
            name_kana: None,
            address: None,
            tags: vec![],
            rank: None,
            notes: None,
        }
    }
}

/// Kana readings: NFKC folds half-width ｶﾀｶﾅ; hiragana is turned into katakana so both
/// spellings of a reading are one.
pub fn normalize_kana(value: &str) -> String {
    nfkc(value)
        .chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            c => c,
        })
        .collect()
}

/// A name folded for spotting duplicates: width and kana folded, case, spaces, middle dots and a
/// trailing honorific (様, さま, さん, 殿) dropped, so `山田　太郎 様`, `山田太郎` and `ﾔﾏﾀﾞ ﾀﾛｳ` vs
/// `やまだたろう` compare equal. `None` for names too short to mean anything on their own.
pub fn name_key(name: &str) -> Option<String> {
    let mut key: String = normalize_kana(name)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '・' | '.' | ','))
        .collect();
    for honorific in ["様", "サマ", "サン", "殿"] {
        if let Some(stripped) = key.strip_suffix(honorific) {
            key = stripped.to_owned();
            break;
        }
    }
    (key.chars().count() >= 2).then_some(key)
}

fn validate_kana(value: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(v) = optional("name_kana", value, limits::SHORT)? else { return Ok(None) };
    let v = normalize_kana(&v);
    if !v.chars().all(|c| matches!(c, 'ァ'..='ヺ' | 'ー' | '・' | ' ' | '　')) {
        return Err(ValidationError::new(
            "name_kana",
            "invalid_kana",
            "name_kana must be written in kana (ヤマダ タロウ)",
        ));
    }
    Ok(Some(v))
}

fn validate_rank(value: Option<&str>) -> Result<Option<String>, ValidationError> {
    Ok(optional("rank", value, limits::TAG)?.map(|r| nfkc(&r)))
}

impl NewCustomer {
    pub fn validate(&self) -> Result<(CustomerProfile, Vec<NormalizedIdentity>), ValidationError> {
        let profile = CustomerProfile {
            name: optional("name", self.name.as_deref(), limits::SHORT)?,
            name_kana: validate_kana(self.name_kana.as_deref())?,
            address: self.address.clone().map(Address::validate).transpose()?,
            tags: tags("tags", &self.tags)?,
            rank: validate_rank(self.rank.as_deref())?,
            notes: optional("notes", self.notes.as_deref(), limits::NOTES)?,
        };
        if self.identities.len() > 20 {
            return Err(ValidationError::new("identities", "too_many", "at most 20 identities"));
        }
        let mut ids: Vec<NormalizedIdentity> = Vec::new();
        for i in &self.identities {
            let n = i.normalize()?;
            if !ids.iter().any(|x| x.kind == n.kind && x.value == n.value) {
                ids.push(n);
            }
        }
        Ok((profile, ids))
    }
}

impl CustomerPatch {
    pub fn apply(&self, current: &Customer) -> Result<CustomerProfile, ValidationError> {
        Ok(CustomerProfile {
            name: match &self.name {
                Some(n) => optional("name", Some(n), limits::SHORT)?,
                None => current.name.clone(),
            },
            name_kana: match &self.name_kana {
                Some(k) => validate_kana(Some(k))?,
                None => current.name_kana.clone(),
            },
            address: match &self.address {
                Some(Some(a)) => Some(a.clone().validate()?),
                Some(None) => None,
                None => current.address.clone(),
            },
            tags: match &self.tags {
                Some(t) => tags("tags", t)?,
                None => current.tags.clone(),
            },
            rank: match &self.rank {
                Some(r) => validate_rank(Some(r))?,
                None => current.rank.clone(),
            },
            notes: match &self.notes {
                Some(n) => optional("notes", Some(n), limits::NOTES)?,
                None => current.notes.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_ignore_width_kana_spacing_and_honorifics() {
        assert_eq!(name_key("山田　太郎 様"), name_key("山田太郎"));
        assert_eq!(name_key("ﾔﾏﾀﾞ ﾀﾛｳ"), name_key("やまだ・たろう"));
        assert_eq!(name_key("Taro YAMADA"), name_key("taro yamada"));
        assert_ne!(name_key("山田太郎"), name_key("山田花子"));
        assert_eq!(name_key("様"), None);
        assert_eq!(name_key(" 田 "), None);
    }

    #[test]
    fn kana_folds_hiragana_and_half_width() {
        assert_eq!(normalize_kana("やまだ たろう"), "ヤマダ タロウ");
        assert_eq!(normalize_kana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert!(validate_kana(Some("山田")).is_err());
    }

    #[test]
    fn new_customer_deduplicates_identities() {
        let c = NewCustomer {
            merchant: "m".into(),
            name: Some("山田 花子".into()),
            name_kana: Some("やまだ はなこ".into()),
            identities: vec![
                IdentityInput { kind: IdentityKind::Phone, value: "090-1234-5678".into() },
                IdentityInput { kind: IdentityKind::Phone, value: "０９０１２３４５６７８".into() },
            ],
            address: Some(Address {
                postal_code: "〒１５０－０００１".into(),
                prefecture: "東京都".into(),
                city: "渋谷区".into(),
                line1: "神宮前1-2-3".into(),
                line2: None,
            }),
            tags: vec![],
            rank: Some("ＶＩＰ".into()),
            notes: None,
        };
        let (p, ids) = c.validate().unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(p.address.unwrap().postal_code, "150-0001");
        assert_eq!(p.rank.as_deref(), Some("VIP"));
        assert_eq!(p.name_kana.as_deref(), Some("ヤマダ ハナコ"));
    }
}
