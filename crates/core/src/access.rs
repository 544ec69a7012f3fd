//! Who may see what. A caller's scope is resolved once, from their role and memberships, and
//! is the first argument of every store call: data outside it simply does not exist for them.

use crate::enums::Role;
use crate::ids::{MerchantId, UserId};

/// The set of merchants a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every merchant (admin).
    All,
    /// Only these merchants.
    Merchants(Vec<MerchantId>),
}

impl Scope {
    pub fn allows(&self, merchant: MerchantId) -> bool {
        match self {
            Scope::All => true,
            Scope::Merchants(ms) => ms.contains(&merchant),
        }
    }

    /// Narrows the scope to one merchant, or `None` if it is outside the scope.
    pub fn narrow(&self, merchant: MerchantId) -> Option<Scope> {
        self.allows(merchant).then(|| Scope::Merchants(vec![merchant]))
    }

    /// The merchant ids to filter on, or `None` for no filter.
    pub fn merchant_ids(&self) -> Option<&[MerchantId]> {
        match self {
            Scope::All => None,
            Scope::Merchants(ms) => Some(ms),
        }
    }
}

/// An authenticated staff member.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub login: String,
    pub role: Role,
    pub merchants: Vec<MerchantId>,
}

impl Principal {
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Admin => Scope::All,
            _ => Scope::Merchants(self.merchants.clone()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Merchant staff never see the desk's internal notes.
    pub fn sees_internal_notes(&self) -> bool {
        !self.role.is_merchant_role()
    }

    /// May change merchant settings (greeting, hours, closed days).
    pub fn can_edit_merchant(&self) -> bool {
        matches!(self.role, Role::Admin | Role::MerchantAdmin)
    }

    /// May read the audit log of the merchants in scope.
    pub fn can_read_audit(&self) -> bool {
        matches!(self.role, Role::Admin | Role::MerchantAdmin)
    }

    /// May delete customers and orders and merge customers.
    pub fn can_delete_records(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor | Role::MerchantAdmin)
    }

    /// May merge two customers (agents do it from the customer panel).
    pub fn can_merge_customers(&self) -> bool {
        self.role != Role::MerchantStaff
    }

    /// May import a shop's order files and set their column mapping.
    pub fn can_import_orders(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor | Role::MerchantAdmin)
    }

    /// May write the knowledge base (the desk's leads and the shop's own admins).
    pub fn can_edit_kb(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor | Role::MerchantAdmin)
    }

    /// May create or change a user with this role and these memberships.
    pub fn can_manage_user(&self, role: Role, merchants: &[MerchantId]) -> bool {
        match self.role {
            Role::Admin => true,
            Role::MerchantAdmin => role.is_merchant_role() && merchants.iter().all(|m| self.merchants.contains(m)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_admin_manages_only_own_merchant_staff() {
        let m = MerchantId::new();
        let other = MerchantId::new();
        let p = Principal { user_id: UserId::new(), login: "x".into(), role: Role::MerchantAdmin, merchants: vec![m] };
        assert!(p.can_manage_user(Role::MerchantStaff, &[m]));
        assert!(!p.can_manage_user(Role::MerchantStaff, &[other]));
        assert!(!p.can_manage_user(Role::Agent, &[m]));
        assert!(!p.sees_internal_notes());
        assert_eq!(p.scope().narrow(other), None);
        assert!(p.scope().narrow(m).is_some());
    }
}
