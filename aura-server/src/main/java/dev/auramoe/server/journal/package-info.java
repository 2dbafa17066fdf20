/**
 * The learn path's durability hook. {@link dev.auramoe.server.journal.LearnJournal} receives every
 * learn event in the order it is applied, and the server acknowledges a learn only when the journal's
 * future completes; the default journal keeps nothing. A write-ahead log plugs in here.
 */
package dev.auramoe.server.journal;
