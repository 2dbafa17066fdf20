/**
 * Sequence data: {@link dev.auramoe.seq.data.SequenceDataset} (labelled sequences of different
 * lengths in flat arrays, checked once when built), {@link dev.auramoe.seq.data.Standardisation}
 * (per-feature statistics of a training set, applied to every set), {@link
 * dev.auramoe.seq.data.LongCsv} (the long-format CSV, one row per step, read and written) and
 * {@link dev.auramoe.seq.data.ImageSequences} (IDX images such as Fashion-MNIST as sequences: row by
 * row, irregularly sampled rows, binary events). Files are read by the stream module's readers. The
 * batches a model trains on come from {@link dev.auramoe.seq.SequenceBatcher}.
 */
package dev.auramoe.seq.data;
