//! The texts of the page a password link opens (an invitation or a reset by mail), and the
//! sign-in page's word after it.

use super::Lang;

pub struct PasswordTexts {
    pub title: &'static str,
    /// "{name}さん、ようこそ。" before the form of someone invited.
    pub welcome: &'static str,
    /// Before the form of someone who had a password.
    pub again: &'static str,
    pub new_password: &'static str,
    pub password_again: &'static str,
    pub hint: &'static str,
    pub submit: &'static str,
    pub used: &'static str,
    pub expired: &'static str,
    pub unknown: &'static str,
    /// On the sign-in page after the password was set.
    pub done: &'static str,
    pub to_sign_in: &'static str,
}

const JA: PasswordTexts = PasswordTexts {
    title: "パスワードの設定",
    welcome: "{name}さん、ようこそ。サインインに使うパスワードを決めてください。",
    again: "{name}さん、新しいパスワードを決めてください。これまでのパスワードは使えなくなります。",
    new_password: "パスワード（10文字以上）",
    password_again: "もう一度（確認）",
    hint: "ほかのサービスと同じパスワードは避けてください。",
    submit: "パスワードを設定する",
    used: "このリンクはすでに使われています。パスワードを忘れた場合は、管理者に新しいリンクを頼んでください。",
    expired: "このリンクは有効期限が切れています。管理者に新しいリンクを頼んでください。",
    unknown: "このリンクは使えません。新しいリンクが届いている場合はそちらを開いてください。",
    done: "パスワードを設定しました。新しいパスワードでサインインしてください。",
    to_sign_in: "サインイン画面へ",
};

const EN: PasswordTexts = PasswordTexts {
    title: "Choose your password",
    welcome: "Welcome, {name}. Choose the password you will sign in with.",
    again: "{name}, choose a new password. The one you had stops working.",
    new_password: "Password (10 characters or more)",
    password_again: "Again, to confirm",
    hint: "Do not reuse a password from another service.",
    submit: "Set the password",
    used: "This link was already used. If you forgot your password, ask an administrator for a new link.",
    expired: "This link has expired. Ask an administrator for a new one.",
    unknown: "This link does not work. If a newer link reached you, open that one.",
    done: "Your password is set. Sign in with it.",
    to_sign_in: "To the sign-in page",
};

pub fn password_texts(lang: Lang) -> &'static PasswordTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}
