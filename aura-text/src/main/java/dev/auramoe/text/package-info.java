/**
 * Text as the router's inputs, offline: {@link dev.auramoe.text.SentenceEncoder} embeds a text (the
 * router's input vector) and gives every token id of it (for the spiking attention);
 * {@link dev.auramoe.text.Texts} holds the checks every text passes first. Kept out of aura-core so
 * that the core stays free of native libraries and a 16 MB model.
 */
package dev.auramoe.text;
