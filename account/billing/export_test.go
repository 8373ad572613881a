package billing

// Measuring is how many accounts' credit levels are being measured (the
// tests wait for none before the next step).
func Measuring(e *Engine) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.measuring)
}
