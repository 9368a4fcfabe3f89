package client

import "context"

// Accepted is the answer to a request whose outcome comes by mail.
type Accepted struct {
	Detail string `json:"detail"` // what happens next, for people
}

// PasswordResetComplete sets a new password with the token of a reset link.
type PasswordResetComplete struct {
	Token    string `json:"token"` // the link's token query parameter ("rsl_…")
	Password string `json:"password"`
}

// EmailChangeRequest asks to move the caller's account to a new address.
type EmailChangeRequest struct {
	Email           string `json:"email"`
	CurrentPassword string `json:"current_password,omitempty"` // required when the account has a password
}

// VerifiedEmail is an address a verification link confirmed.
type VerifiedEmail struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// RequestPasswordReset mails a reset link to the account with this email or username, if
// there is an active one; it needs no token, and answers alike whether or not there is (so
// that it reveals nothing). Repeated requests are CodeRateLimited; with mail off,
// CodeUnavailable.
func (c *Client) RequestPasswordReset(ctx context.Context, login string) (*Accepted, error) {
	body := struct {
		Login string `json:"login"`
	}{login}
	return decode[Accepted](ctx, c, request{method: "POST", path: "/v1/auth/password-reset", body: body})
}

// CompletePasswordReset sets the password with a reset link's token, once; it needs no token
// of the client's own. An unknown, used or expired token, or a password the policy refuses,
// is CodeInvalid.
func (c *Client) CompletePasswordReset(ctx context.Context, in PasswordResetComplete) error {
	_, err := c.do(ctx, request{method: "POST", path: "/v1/auth/password-reset/complete", body: in}, nil)
	return err
}

// CompleteEmailVerification uses a verification or address-change link's token, once; it
// needs no token of the client's own. An unknown, used or expired token is CodeInvalid;
// CodeConflict when another account took the new address meanwhile.
func (c *Client) CompleteEmailVerification(ctx context.Context, token string) (*VerifiedEmail, error) {
	body := struct {
		Token string `json:"token"`
	}{token}
	return decode[VerifiedEmail](ctx, c, request{method: "POST", path: "/v1/auth/email-verification/complete", body: body})
}

// RequestEmailVerification mails the caller a link that confirms its address: CodeConflict
// when it is verified already, CodeRateLimited past five an hour.
func (c *Client) RequestEmailVerification(ctx context.Context) (*Accepted, error) {
	return decode[Accepted](ctx, c, request{method: "POST", path: "/v1/me/email-verification"})
}

// RequestEmailChange mails a link to the new address; the caller's address changes when the
// link is used (CompleteEmailVerification). The answer does not say whether another account
// has the address.
func (c *Client) RequestEmailChange(ctx context.Context, in EmailChangeRequest) (*Accepted, error) {
	return decode[Accepted](ctx, c, request{method: "POST", path: "/v1/me/email-change", body: in})
}

// SendPasswordReset mails a user a link to choose a new password. Only the account's manager
// may: CodeForbidden for a caller who sees the user but does not manage it, CodeConflict for
// a deactivated user.
func (c *Client) SendPasswordReset(ctx context.Context, user string) (*Accepted, error) {
	return decode[Accepted](ctx, c, request{method: "POST", path: "/v1/users/{}/password-reset", params: []string{user}})
}
