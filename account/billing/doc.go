// Package billing applies the brief's money rules on top of the ledger: the
// credit gate every call and message passes, chunked reservations for
// credit-billed calls, bundles that reset each billing cycle, rating at the
// end of each call, manual and automatic top-ups, and the suggested
// auto top-up threshold.
//
// The rules, as implemented:
//
//   - The gate: anything (call in or out, text in or out, transcription, AI
//     agent) is refused with a *CreditError while available credit
//     (posted minus open reservations) is zero or less, bundle or not.
//   - A credit-billed call must afford its connection fee plus its first
//     billing block, and reserves ahead in chunks (60 s by default). When the
//     next chunk cannot be reserved in full, it reserves what it can and the
//     Grant says Final: the call ends when its paid time runs out.
//   - A call is charged once, at the end, exactly what its tariff says for
//     its duration, capped at what was reserved: time a call ran past its
//     paid end is not charged (the switchboard ends it there).
//   - Bundle-eligible use (domestic calls and texts, AI agent minutes)
//     draws on the cycle's bundle first, in billed seconds or segments;
//     beyond it, seconds are charged at the tariff's per-minute rate with no
//     further minimum block, and segments at the per-segment rate.
//   - Bundles are per account and cycle: each seat brings its plan's
//     allowance, prorated by the time left when added mid-cycle; a new
//     cycle is a new ledger account, so nothing rolls over.
package billing
