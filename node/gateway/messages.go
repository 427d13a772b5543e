package gateway

import "strings"

// The gateway's words to callers and texters, in English and French: its
// own small catalogue, since the people it speaks to never see the
// console's.
var catalogue = map[string]map[string]string{
	"en": {
		"greeting":     "Welcome to 2-1-1 Ontario, community and social services help.",
		"choose.en":    "For service in English, press 1 or say English.",
		"postal.ask":   "To reach the centre nearest you, please say your postal code, or key in its first three characters, each letter on its key, then press pound.",
		"postal.again": "Sorry, we did not get that. Please say your postal code again.",
		"queued":       "Thank you. A community navigator will be with you shortly. If you are in danger, hang up and call 9-1-1.",
		"unavailable":  "We are sorry, we cannot take your call right now. Please call back in a few minutes. If you are in danger, call 9-1-1.",
		"sms.welcome":  "211 Ontario: thank you for your message. To reach the centre nearest you, reply with your postal code (for example K1N 6N5), or SKIP. Pour le service en français, répondez FR.",
		"sms.queued":   "211 Ontario: thank you. A community navigator will reply soon. If you are in danger, call 911.",
		"sms.slow":     "211 Ontario: you are sending messages very fast; please wait a moment.",
		"connected":    "A community navigator is with you now.",
		"chat.ask":     "Hello! To reach the centre nearest you, what is your postal code? (You may also type SKIP.)",
		"chat.queued":  "Thank you. A community navigator will be with you soon. If you are in danger, call 911.",
		"email.queued": "Thank you for writing to 211 Ontario. A community navigator will answer you soon.",
	},
	"fr": {
		"greeting":     "Bienvenue au 2-1-1 Ontario, l'aide aux services communautaires et sociaux.",
		"choose.fr":    "Pour le service en français, appuyez sur le 2 ou dites français.",
		"postal.ask":   "Pour joindre le centre le plus proche, dites votre code postal, ou composez ses trois premiers caractères, chaque lettre sur sa touche, puis le dièse.",
		"postal.again": "Désolé, nous n'avons pas compris. Veuillez redire votre code postal.",
		"queued":       "Merci. Une intervenante ou un intervenant vous répondra sous peu. Si vous êtes en danger, raccrochez et composez le 9-1-1.",
		"unavailable":  "Nous sommes désolés, nous ne pouvons pas prendre votre appel pour le moment. Rappelez dans quelques minutes. Si vous êtes en danger, composez le 9-1-1.",
		"sms.welcome":  "211 Ontario : merci de votre message. Pour joindre le centre le plus proche, répondez avec votre code postal (par exemple K1N 6N5), ou PASSER.",
		"sms.queued":   "211 Ontario : merci. Une intervenante ou un intervenant vous répondra bientôt. Si vous êtes en danger, composez le 911.",
		"sms.slow":     "211 Ontario : vous envoyez des messages très vite; veuillez patienter un moment.",
		"connected":    "Une intervenante ou un intervenant est avec vous.",
		"chat.ask":     "Bonjour! Pour joindre le centre le plus proche, quel est votre code postal? (Vous pouvez aussi écrire PASSER.)",
		"chat.queued":  "Merci. Une intervenante ou un intervenant sera avec vous bientôt. Si vous êtes en danger, composez le 911.",
		"email.queued": "Merci d'avoir écrit au 211 Ontario. Une intervenante ou un intervenant vous répondra bientôt.",
	},
}

// say returns the message key in lang (English when lang has none).
func say(lang, key string) string {
	if m, ok := catalogue[lang]; ok {
		if s, ok := m[key]; ok {
			return s
		}
	}
	return catalogue["en"][key]
}

// voiceLang is the Twilio <Say>/<Gather> language of a primary tag.
func voiceLang(lang string) string {
	if lang == "fr" {
		return "fr-CA"
	}
	return "en-CA"
}

// frenchWords are words that mark a text as French.
var frenchWords = map[string]bool{"fr": true, "français": true, "francais": true, "bonjour": true, "allo": true,
	"aide": true, "besoin": true, "je": true, "j'ai": true, "merci": true, "svp": true, "logement": true, "nourriture": true}

// guessLanguage returns "fr" when a text reads as French, else "en".
func guessLanguage(text string) string {
	for _, w := range strings.Fields(strings.ToLower(clip(text, 500))) {
		if frenchWords[strings.Trim(w, ".,!?;:")] {
			return "fr"
		}
	}
	return "en"
}

// skipWord reports whether a person declined to give a postal code.
func skipWord(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "skip", "passer", "non", "no":
		return true
	}
	return false
}
