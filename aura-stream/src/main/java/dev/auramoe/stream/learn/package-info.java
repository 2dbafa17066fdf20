/**
 * Stream learners: on-line feature encoding ({@link dev.auramoe.stream.learn.FeatureEncoder}:
 * standardisation, one-hot nominal values, missing values) and
 * {@link dev.auramoe.stream.learn.StreamLearner}, the liquid-routed mixture of experts applied to a
 * classification or regression stream, test-then-train.
 */
package dev.auramoe.stream.learn;
