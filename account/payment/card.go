package payment

import (
	"fmt"
	"strings"
	"time"
)

// normalizeNumber strips spaces and dashes and checks length and the Luhn
// digit.
func normalizeNumber(s string) (string, error) {
	n := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	if len(n) < 12 || len(n) > 19 {
		return "", fmt.Errorf("%w: a card number has 12 to 19 digits", ErrCard)
	}
	sum := 0
	for i := range len(n) {
		c := n[len(n)-1-i]
		if c < '0' || c > '9' {
			return "", fmt.Errorf("%w: a card number has only digits", ErrCard)
		}
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if sum%10 != 0 {
		return "", fmt.Errorf("%w: the card number is mistyped (check digit)", ErrCard)
	}
	return n, nil
}

func brand(n string) string {
	switch {
	case strings.HasPrefix(n, "4"):
		return "Visa"
	case n[0] == '5' && n[1] >= '1' && n[1] <= '5', strings.HasPrefix(n, "2"):
		return "Mastercard"
	case strings.HasPrefix(n, "34"), strings.HasPrefix(n, "37"):
		return "American Express"
	}
	return "Card"
}

// checkExpiry refuses cards that expired before now.
func checkExpiry(month, year int, now time.Time) error {
	if month < 1 || month > 12 || year < 2000 || year > 2100 {
		return fmt.Errorf("%w: expiry %02d/%d", ErrCard, month, year)
	}
	if year < now.Year() || year == now.Year() && month < int(now.Month()) {
		return fmt.Errorf("%w: the card expired %02d/%d", ErrCard, month, year)
	}
	return nil
}
