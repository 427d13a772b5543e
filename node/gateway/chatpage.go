package gateway

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/coder/websocket"
)

//go:embed static/chat.js
var chatJS []byte

// chatPage is the chat's HTML page: the conversation and a form that the
// script reveals. Without JavaScript, the page says how else to reach 211.
var chatPage = template.Must(template.New("chat").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.W.title}}</title>
<script src="/gateway/chat.js" defer></script>
</head>
<body>
<main>
<h1>{{.W.title}}</h1>
<p><a href="/gateway/chat?lang={{.Other}}" lang="{{.Other}}" hreflang="{{.Other}}">{{.W.other}}</a></p>
<div id="chat-nojs">
<p>{{.W.nojs}}</p>
<ul>
<li>{{.W.phone}}</li>
<li>{{.W.text}}</li>
{{if .Mailbox}}<li>{{.W.email}} <a href="mailto:{{.Mailbox}}">{{.Mailbox}}</a></li>{{end}}
</ul>
<p>{{.W.danger}}</p>
</div>
<ol id="chat-log" aria-live="polite"></ol>
<p id="chat-status" role="status"></p>
<form id="chat-form" hidden>
<label for="chat-input">{{.W.label}}</label>
<textarea id="chat-input" name="body" rows="3" maxlength="2000"></textarea>
<button type="submit">{{.W.send}}</button>
</form>
<script type="application/json" id="chat-words">{{.Words}}</script>
</main>
</body>
</html>
`))

// chatWords are the page's words, in the catalogue's manner.
var chatWords = map[string]map[string]string{
	"en": {"title": "Chat with 211", "other": "Français", "label": "Your message", "send": "Send",
		"nojs":   "This chat needs JavaScript, which is off or not available in your browser. You can also reach 211 Ontario:",
		"phone":  "By phone: dial 2-1-1 (toll-free, 24 hours a day, in 150 languages).",
		"text":   "By text message: send a text to 2-1-1.",
		"email":  "By e-mail:",
		"danger": "If you are in danger, call 9-1-1.",
		"person": "You", "navigator": "Navigator", "system": "211", "connecting": "Connecting…",
		"connected": "Connected.", "reconnecting": "Connection lost; reconnecting…", "typing": "The navigator is typing…",
		"read": "Read by the navigator.", "ended": "The conversation has ended. Thank you."},
	"fr": {"title": "Clavarder avec le 211", "other": "English", "label": "Votre message", "send": "Envoyer",
		"nojs":   "Ce clavardage a besoin de JavaScript, désactivé ou non disponible dans votre navigateur. Vous pouvez aussi joindre le 211 Ontario :",
		"phone":  "Par téléphone : composez le 2-1-1 (sans frais, 24 heures sur 24, en 150 langues).",
		"text":   "Par message texte : envoyez un texto au 2-1-1.",
		"email":  "Par courriel :",
		"danger": "Si vous êtes en danger, composez le 9-1-1.",
		"person": "Vous", "navigator": "Intervenant(e)", "system": "211", "connecting": "Connexion…",
		"connected": "Connecté.", "reconnecting": "Connexion perdue; reconnexion…", "typing": "L'intervenant(e) écrit…",
		"read": "Lu par l'intervenant(e).", "ended": "La conversation est terminée. Merci."},
}

// handleChat serves the chat's WebSocket, or its page to a browser that
// asks for the page.
func (g *Gateway) handleChat(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		g.chatPageHandler(w, r)
		return
	}
	// A chat handed over by another region's node comes from its page.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled,
		OriginPatterns: g.peerHosts()})
	if err != nil {
		g.log.Warn("gateway: chat connection refused", "remote", r.RemoteAddr, "err", errText(err))
		return
	}
	g.serveChat(r.Context(), ws, r.RemoteAddr)
}

func (g *Gateway) chatPageHandler(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang == "" && strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "fr") {
		lang = "fr"
	}
	other := "fr"
	if lang == "fr" {
		other = "en"
	} else {
		lang = "en"
	}
	words, _ := json.Marshal(chatWords[lang])
	var b bytes.Buffer
	err := chatPage.Execute(&b, map[string]any{"Lang": lang, "Other": other, "W": chatWords[lang],
		"Words": template.JS(words), "Mailbox": g.cfg.SMTP.Mailbox})
	if err != nil {
		g.log.Error("gateway: rendering the chat page", "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if peers := g.peerChatURLs(); len(peers) > 0 { // the chat may move to a peer
		w.Header().Set("Content-Security-Policy", strings.Replace(w.Header().Get("Content-Security-Policy"),
			"connect-src 'self'", "connect-src 'self' "+strings.Join(peers, " "), 1))
	}
	w.Write(b.Bytes())
}

// peerHosts are the hosts of the peer nodes.
func (g *Gateway) peerHosts() []string {
	var out []string
	for _, p := range g.cfg.Peers {
		if u, err := url.Parse(p); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	sort.Strings(out)
	return out
}

// peerChatURLs are the peers' chat WebSocket URLs.
func (g *Gateway) peerChatURLs() []string {
	var out []string
	for _, p := range g.cfg.Peers {
		out = append(out, chatURL(strings.TrimRight(p, "/")))
	}
	sort.Strings(out)
	return out
}

func (g *Gateway) handleChatJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(chatJS)
}
