package httpapi

import (
	"net/http"

	"github.com/rosterhq/roster/internal/httpx"
	"github.com/rosterhq/roster/internal/service"
)

// lifecycleRoutes are the calls behind emailed links: address verification and change, and
// password reset.
func (a *API) lifecycleRoutes() {
	a.public("POST /v1/auth/password-reset", a.requestPasswordReset)
	a.public("POST /v1/auth/password-reset/complete", a.completePasswordReset)
	a.public("POST /v1/auth/email-verification/complete", a.completeEmailVerification)
	a.authed("POST /v1/me/email-verification", a.requestEmailVerification)
	a.authed("POST /v1/me/email-change", a.requestEmailChange)
	a.authed("POST /v1/users/{user}/password-reset", a.sendPasswordReset)
}

type acceptedJSON struct {
	Detail string `json:"detail"`
}

func writeAccepted(w http.ResponseWriter, detail string) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusAccepted, acceptedJSON{Detail: detail})
}

func (a *API) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Login string `json:"login"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.svc.RequestPasswordReset(r.Context(), in.Login); err != nil {
		return err
	}
	writeAccepted(w, service.ResetAccepted)
	return nil
}

func (a *API) completePasswordReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.svc.ResetPassword(r.Context(), in.Token, in.Password); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) completeEmailVerification(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	u, err := a.svc.VerifyEmail(r.Context(), in.Token)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}{u.Email, u.EmailVerified})
	return nil
}

func (a *API) requestEmailVerification(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.RequestEmailVerification(r.Context()); err != nil {
		return err
	}
	writeAccepted(w, "A message with a link that confirms your address is on its way to it.")
	return nil
}

func (a *API) requestEmailChange(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email           string `json:"email"`
		CurrentPassword string `json:"current_password"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.svc.RequestEmailChange(r.Context(), in.Email, in.CurrentPassword); err != nil {
		return err
	}
	writeAccepted(w, "A message with a link is on its way to the new address; your address changes once the link is opened.")
	return nil
}

func (a *API) sendPasswordReset(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.SendPasswordReset(r.Context(), r.PathValue("user")); err != nil {
		return err
	}
	writeAccepted(w, "A message with a link to choose a new password is on its way to the user's address.")
	return nil
}
