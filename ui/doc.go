// Package ui holds the desktop app's Fyne views. Views talk to the phone
// and the account side through small interfaces, load in the background,
// and touch widgets only on Fyne's goroutine (fyne.Do).
package ui
