/**
 * Prequential (test-then-train) evaluation: accuracy and kappa for classification, MAE and RMSE
 * for regression, cumulative and over a sliding window; AUROC and average precision for a
 * two-class target.
 */
package dev.auramoe.stream.eval;
