/**
 * Load balancing without auxiliary losses: moving-average expert load and a selection bias that
 * steers tokens away from over-used experts while leaving mixing weights untouched.
 */
package dev.auramoe.balance;
