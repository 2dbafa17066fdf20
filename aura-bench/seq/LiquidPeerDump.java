import dev.auramoe.cell.CellConfig;
import dev.auramoe.seq.Adam;
import dev.auramoe.seq.LiquidClassifier;
import dev.auramoe.seq.Parameter;
import java.util.Random;

/**
 * Prints, one per line as "name v1 v2 ...", the weights of a seeded {@code LiquidClassifier}
 * (the product's default cell, 28 inputs, 10 classes), a seeded batch of 3 sequences of 28 steps
 * (time-major), its logits ("z"), the loss of one training step on labels 1, 4, 7 and every
 * parameter's gradient ("g:name"). {@code check-liquid-peer.sh} feeds them to the PyTorch peer,
 * which must compute the same logits, loss and gradients. Run with the JDK's source launcher on
 * the class path of aura-core and aura-seq.
 */
public final class LiquidPeerDump {
  public static void main(String[] args) {
    int in = 28, steps = 28, batch = 3, classes = 10;
    LiquidClassifier model = new LiquidClassifier(CellConfig.DEFAULT, in, classes, 5);
    StringBuilder out = new StringBuilder();
    for (Parameter p : model.parameters()) {
      line(out, p.name(), p.values());
    }
    Random r = new Random(3);
    float[] x = new float[steps * batch * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    line(out, "x", x);
    float[] z = new float[batch * classes];
    model.logits(x, null, batch, steps, z);
    line(out, "z", z);
    // No clipping (the bound is never reached), so the gradients are the loss's own.
    double loss = model.trainStep(x, null, new int[] {1, 4, 7}, batch, steps, new Adam(model.parameters(), Adam.Settings.DEFAULT), 1e30);
    out.append("loss ").append(loss).append('\n');
    for (Parameter p : model.parameters()) {
      line(out, "g:" + p.name(), p.gradient());
    }
    System.out.print(out);
  }

  private static void line(StringBuilder out, String name, float[] values) {
    out.append(name);
    for (float v : values) {
      out.append(' ').append(v);
    }
    out.append('\n');
  }
}
