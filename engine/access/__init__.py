"""Who may do what (roles, identities, permissions) and the audit trail of what they did."""
