/**
 * Text as the router's inputs, offline: {@link dev.auramoe.text.SentenceEncoder} embeds a text (the
 * router's input vector) and gives every token id of it (for the spiking attention), with the
 * bundled all-MiniLM-L6-v2 or a Hugging Face ONNX export from a directory;
 * {@link dev.auramoe.text.HuggingFaceConfig} reads a model's options from a Hugging Face
 * {@code config.json} under Hugging Face's own key names;
 * {@link dev.auramoe.text.Texts} holds the checks every text passes first. Kept out of aura-core so
 * that the core stays free of native libraries and a 16 MB model.
 */
package dev.auramoe.text;
