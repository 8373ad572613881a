package ledger

import "fmt"

// Customer is the credit balance of a customer account: what the customer
// has paid for and not yet used. It has a floor.
func Customer(account string) AccountID { return AccountID("customer:" + account) }

// Revenue is where the charges of one usage type go.
func Revenue(usage string, currency Unit) AccountID {
	return AccountID(fmt.Sprintf("revenue:%s:%s", usage, currency))
}

// PaymentClearing is the other side of every card payment: its balance is
// minus what customers have paid in.
func PaymentClearing(currency Unit) AccountID {
	return AccountID("clearing:payments:" + string(currency))
}

// Adjustments is the other side of every operator adjustment (refund,
// goodwill, correction).
func Adjustments(currency Unit) AccountID { return AccountID("adjustments:" + string(currency)) }

// Bundle is an account's allowance of one pool in one billing cycle. A new
// cycle is a new account, so nothing rolls over. It has a floor.
func Bundle(account, cycle, pool string) AccountID {
	return AccountID(fmt.Sprintf("bundle:%s:%s:%s", account, cycle, pool))
}

// BundleGrants is where allowances come from.
func BundleGrants(pool string) AccountID { return AccountID("bundle-grants:" + pool) }

// BundleUsed is where consumed allowance goes.
func BundleUsed(pool string) AccountID { return AccountID("bundle-used:" + pool) }
