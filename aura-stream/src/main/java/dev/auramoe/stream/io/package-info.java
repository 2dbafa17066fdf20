/**
 * Readers of real data files as {@link dev.auramoe.stream.data.InstanceStream}s: {@link
 * dev.auramoe.stream.io.ArffReader} (Weka ARFF, dense and sparse), {@link
 * dev.auramoe.stream.io.CsvReader} (RFC 4180 with type inference) and {@link
 * dev.auramoe.stream.io.IdxReader} (MNIST-style image files, with {@link
 * dev.auramoe.stream.io.FashionMnist} for the Debian-packaged data set). All read gzip transparently,
 * one row at a time into a reused instance, and report malformed rows by file and line under a
 * {@link dev.auramoe.stream.io.MalformedRowPolicy}; the two text readers share that loop, and the
 * count of rows skipped, in {@link dev.auramoe.stream.io.TextReader}.
 */
package dev.auramoe.stream.io;
