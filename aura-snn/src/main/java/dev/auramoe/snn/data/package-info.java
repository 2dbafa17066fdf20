/**
 * Image data for the spiking networks: {@link dev.auramoe.snn.data.ImageDataset} (labelled images
 * as float pixels, channels first, checked once when made), {@link dev.auramoe.snn.data.ImageFiles}
 * (a directory of IDX files such as Fashion-MNIST, or a CSV file of pixel columns and a label
 * column, read by the stream module's readers), {@link dev.auramoe.snn.data.ChannelStandardisation}
 * (per-channel statistics of a training set, applied to every set) and {@link
 * dev.auramoe.snn.data.ImageBatcher} (seeded mini-batches in aura-seq's batch layout: an image is
 * one step of its pixels, so aura-seq's trainer drives the image models).
 */
package dev.auramoe.snn.data;
