package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/outbox"
	"github.com/rosterhq/roster/internal/token"
)

// MailConfig says whether and how the service mails people. With Enabled false (no SMTP server
// and no mail directory configured) nothing is queued, and the calls that exist only to send
// mail answer EUnavailable.
type MailConfig struct {
	Enabled bool
	// ResetTTL is how long a password-reset link works; VerifyTTL, a link that confirms an
	// address.
	ResetTTL  time.Duration
	VerifyTTL time.Duration
	// SkipVerificationMail sends no verification mail to users that administrators, surfaces
	// or imports create; they ask for one themselves (POST /v1/me/email-verification).
	SkipVerificationMail bool
	// Wake, when set, is called after a transaction that queued mail has committed, so the
	// outbox worker sends it at once.
	Wake func()
}

// Default lifetimes of emailed links.
const (
	DefaultResetTTL  = 30 * time.Minute
	DefaultVerifyTTL = 72 * time.Hour
)

// MailKind is the outbox kind of mail.
const MailKind = "mail"

// Paths of the hosted pages that emailed links open, below the public URL.
const (
	PathVerifyEmail   = "/account/verify-email"
	PathResetPassword = "/account/reset-password"
)

var errMailOff = roster.Errorf(roster.EUnavailable,
	"This installation sends no mail; an operator enables it with --smtp-url or --mail-dir.")

// mailPayload is an outbox row of kind mail. It never holds a secret: a link's secret is minted
// when the message is sent (see MailSender).
type mailPayload struct {
	To       string    `json:"to"`
	Template string    `json:"template"`
	Locale   string    `json:"locale"`
	Data     mailData  `json:"data"`
	Link     *linkSpec `json:"link,omitempty"`
}

type mailData struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	OldEmail string `json:"old_email,omitempty"`
	NewEmail string `json:"new_email,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	Inviter  string `json:"inviter,omitempty"`
}

// linkSpec describes the single-use link a message carries.
type linkSpec struct {
	Purpose   string    `json:"purpose"`
	SubjectID string    `json:"subject_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Path      string    `json:"path"`
}

// queueMail writes p to the outbox in tx, unless mail is off. The caller wakes the worker
// after commit.
func (s *Service) queueMail(ctx context.Context, tx roster.Tx, p mailPayload) error {
	_, err := s.enqueueMail(ctx, tx, p)
	return err
}

// enqueueMail is queueMail returning the message's outbox id ("" when mail is off).
func (s *Service) enqueueMail(ctx context.Context, tx roster.Tx, p mailPayload) (string, error) {
	if !s.cfg.Mail.Enabled {
		return "", nil
	}
	m, err := outbox.Enqueue(ctx, tx, MailKind, "", p)
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// wake tells the outbox worker that mail was committed.
func (s *Service) wake() {
	if s.cfg.Mail.Wake != nil {
		s.cfg.Mail.Wake()
	}
}

// MailPending describes one outbox mail for listings, without its link.
type MailPending struct {
	Message  *roster.OutboxMessage
	To       string
	Template string
}

// ListMailAsSystem lists mail in the outbox in the given states (all when none), newest first,
// for the command line.
func (s *Service) ListMailAsSystem(ctx context.Context, states []string, limit int) ([]MailPending, error) {
	var rows []*roster.OutboxMessage
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		rows, err = tx.ListOutbox(ctx, roster.OutboxFilter{Page: roster.Page{Limit: limit}, Kind: MailKind, States: states})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]MailPending, 0, len(rows))
	for _, m := range rows {
		var p mailPayload
		_ = json.Unmarshal([]byte(m.Payload), &p) // a payload that does not parse is listed as it is
		out = append(out, MailPending{Message: m, To: p.To, Template: p.Template})
	}
	return out, nil
}

// RequeueMailAsSystem makes a dead mail pending again, for the command line.
func (s *Service) RequeueMailAsSystem(ctx context.Context, id string) error {
	return s.store.Write(ctx, func(tx roster.Tx) error { return tx.RequeueOutbox(ctx, id, now()) })
}

// MailSender returns the outbox sender of kind mail: for each attempt it mints the message's
// link (a fresh secret whose hash is stored, so that no secret ever waits in the database to be
// sent), renders the templates in the recipient's locale and hands the message to m's
// transport. baseURL returns the public URL the links start with.
func (s *Service) MailSender(m *mail.Mailer, baseURL func() string) outbox.Sender {
	return &mailSender{svc: s, mailer: m, baseURL: baseURL}
}

type mailSender struct {
	svc     *Service
	mailer  *mail.Mailer
	baseURL func() string
	// minted holds the secret Prepare made for a claimed message until its attempt sends it:
	// only in memory, so a process that dies takes it along and the next attempt mints anew.
	// errObsolete in place of a secret means the message is not to be sent.
	minted sync.Map // message id → secret or errObsolete
}

// errObsolete marks a message whose link must no longer go out: an invitation that was revoked,
// accepted, or sent again in a later message before this one went. Its attempt succeeds
// without sending anything.
var errObsolete = errors.New("the message is obsolete")

func parseMail(msg *roster.OutboxMessage) (mailPayload, error) {
	var p mailPayload
	if err := json.Unmarshal([]byte(msg.Payload), &p); err != nil {
		return p, outbox.Permanent(fmt.Errorf("mail payload: %w", err))
	}
	return p, nil
}

// mint stores the hash of a new secret for the message's link in tx and returns the secret.
func mint(ctx context.Context, tx roster.Tx, msg *roster.OutboxMessage, p mailPayload) (string, error) {
	t := now()
	if p.Link.Purpose == roster.LinkInvitation {
		if err := invitationStillMailed(ctx, tx, p.Link.SubjectID, msg.ID, t); err != nil {
			return "", err
		}
	}
	if !p.Link.ExpiresAt.After(t) {
		return "", outbox.Permanent(errors.New("its link expired before the message could be sent"))
	}
	secret, hash := token.New(token.PrefixLink)
	if err := tx.DeleteExpiredLinkTokens(ctx, p.Link.SubjectID, t); err != nil {
		return "", err
	}
	err := tx.CreateLinkToken(ctx, &roster.LinkToken{TokenHash: hash, Purpose: p.Link.Purpose,
		SubjectID: p.Link.SubjectID, Email: p.To, OutboxID: msg.ID, CreatedAt: t, ExpiresAt: p.Link.ExpiresAt})
	return secret, err
}

// Prepare mints the link of a claimed message in the claiming transaction.
func (ms *mailSender) Prepare(ctx context.Context, tx roster.Tx, msg *roster.OutboxMessage) error {
	p, err := parseMail(msg)
	if err != nil || p.Link == nil {
		return err
	}
	secret, err := mint(ctx, tx, msg, p)
	if errors.Is(err, errObsolete) {
		ms.minted.Store(msg.ID, errObsolete)
		return nil
	}
	if err != nil {
		return err
	}
	ms.minted.Store(msg.ID, secret)
	return nil
}

func (ms *mailSender) Send(ctx context.Context, msg *roster.OutboxMessage) error {
	p, err := parseMail(msg)
	if err != nil {
		return err
	}
	d := mail.Data{Name: p.Data.Name, Email: p.To, OldEmail: p.Data.OldEmail, NewEmail: p.Data.NewEmail,
		Tenant: p.Data.Tenant, Inviter: p.Data.Inviter}
	if p.Link != nil {
		v, ok := ms.minted.LoadAndDelete(msg.ID)
		secret, _ := v.(string)
		if !ok { // not prepared by this process's claim: mint now
			err := ms.svc.store.Write(ctx, func(tx roster.Tx) (err error) {
				secret, err = mint(ctx, tx, msg, p)
				return err
			})
			if errors.Is(err, errObsolete) {
				v = errObsolete
			} else if err != nil {
				return err
			}
		}
		if v == errObsolete {
			ms.svc.log.Debug("mail: not sent; what it was for has changed since it was queued", "message", msg.ID, "template", p.Template)
			return nil
		}
		d.Link = strings.TrimRight(ms.baseURL(), "/") + p.Link.Path + "?token=" + url.QueryEscape(secret)
		d.Expiry = p.Link.ExpiresAt.Sub(msg.CreatedAt)
	}
	composed, err := ms.mailer.Compose(msg.ID, p.To, p.Template, p.Locale, msg.CreatedAt, d)
	if err != nil {
		return outbox.Permanent(err)
	}
	err = ms.mailer.Transport.Send(ctx, composed)
	if errors.Is(err, mail.ErrRejected) {
		return outbox.Permanent(err)
	}
	return err
}

// CountOutbox counts the pending and dead messages of the outbox, for metrics.
func (s *Service) CountOutbox(ctx context.Context) ([]roster.OutboxCount, error) {
	var out []roster.OutboxCount
	err := s.store.Read(ctx, func(tx roster.Tx) (err error) {
		out, err = tx.CountOutbox(ctx)
		return err
	})
	return out, err
}
