//! A customer's bank account for a refund by transfer (銀行振込), as Japanese banks' transfer
//! forms take it: bank and branch (name and code), account type, a seven-digit number, and the
//! holder's name in katakana exactly as the bank holds it.

use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, nfkc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// 普通
    Ordinary,
    /// 当座
    Current,
    /// 貯蓄
    Savings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    pub bank_name: String,
    /// 金融機関コード, four digits.
    pub bank_code: String,
    pub branch_name: String,
    /// 支店コード, three digits.
    pub branch_code: String,
    pub account_type: AccountType,
    /// 口座番号, up to seven digits (stored padded to seven).
    pub number: String,
    /// 口座名義, full-width katakana (half-width and hiragana are converted).
    pub holder_kana: String,
}

fn digits(field: &str, raw: &str, min: usize, max: usize) -> Result<String, ValidationError> {
    let v: String = nfkc(raw).chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !(min..=max).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_digit()) {
        let len = if min == max { format!("{max}") } else { format!("{min}–{max}") };
        return Err(ValidationError::new(field, "invalid_digits", format!("{len} digits")));
    }
    Ok(v)
}

/// The holder's name as banks print it: katakana, long-vowel marks, spaces, and the few
/// symbols transfer forms allow (（）．ー－／). Hiragana becomes katakana, half-width becomes
/// full-width, spaces are single and full-width.
pub fn holder_kana(raw: &str) -> Result<String, ValidationError> {
    let folded: String = nfkc(raw)
        .chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect();
    let v = folded.split('\u{3000}').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\u{3000}");
    let allowed = |c: char| matches!(c, 'ァ'..='ヺ' | 'ー' | '\u{3000}' | '(' | ')' | '.' | '-' | '/');
    if v.is_empty() || v.chars().count() > 30 || !v.chars().all(allowed) {
        return Err(ValidationError::new(
            "holder_kana",
            "invalid_holder_kana",
            "the account holder's name in katakana (ヤマダ　ハナコ)",
        ));
    }
    Ok(v)
}

impl BankAccount {
    pub fn validate(&self) -> Result<BankAccount, ValidationError> {
        let name = |field: &str, v: &str| -> Result<String, ValidationError> {
            let v = nfkc(v).trim().to_owned();
            if v.is_empty() || v.chars().count() > 40 {
                return Err(ValidationError::new(field, "invalid_text", "1–40 characters"));
            }
            Ok(v)
        };
        Ok(BankAccount {
            bank_name: name("bank_name", &self.bank_name)?,
            bank_code: digits("bank_code", &self.bank_code, 4, 4)?,
            branch_name: name("branch_name", &self.branch_name)?,
            branch_code: digits("branch_code", &self.branch_code, 3, 3)?,
            account_type: self.account_type,
            number: format!("{:0>7}", digits("number", &self.number, 1, 7)?),
            holder_kana: holder_kana(&self.holder_kana)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> BankAccount {
        BankAccount {
            bank_name: "みずほ銀行".into(),
            bank_code: "０００１".into(),
            branch_name: "東京営業部".into(),
            branch_code: "001".into(),
            account_type: AccountType::Ordinary,
            number: "12345".into(),
            holder_kana: "やまだ ﾊﾅｺ".into(),
        }
    }

    #[test]
    fn a_transfer_account_is_folded_to_what_banks_take() {
        let a = account().validate().unwrap();
        assert_eq!(a.bank_code, "0001");
        assert_eq!(a.number, "0012345", "seven digits");
        assert_eq!(a.holder_kana, "ヤマダ\u{3000}ハナコ");
        assert_eq!(holder_kana("カ）マドグチ").unwrap(), "カ)マドグチ", "法人の略語");
    }

    #[test]
    fn bad_accounts_name_the_field() {
        let field = |a: BankAccount| a.validate().unwrap_err().field;
        assert_eq!(field(BankAccount { bank_code: "12".into(), ..account() }), "bank_code");
        assert_eq!(field(BankAccount { branch_code: "12a".into(), ..account() }), "branch_code");
        assert_eq!(field(BankAccount { number: "12345678".into(), ..account() }), "number");
        assert_eq!(field(BankAccount { holder_kana: "山田花子".into(), ..account() }), "holder_kana");
        assert_eq!(field(BankAccount { holder_kana: " ".into(), ..account() }), "holder_kana");
        assert_eq!(field(BankAccount { bank_name: "".into(), ..account() }), "bank_name");
    }
}
