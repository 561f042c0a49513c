// Prints what this JVM's Double.toString writes, for TestJava17AgainstTheJVM.
// Standard input: one double a line, as the hex of its IEEE 754 bits. Standard output: the JVM's
// feature release and version on the first line (17 17.0.15), then one line per input line: the bits, a tab, the string.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;

public class DoubleToString {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in), 1 << 16);
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out), 1 << 16));
        out.println(Runtime.version().feature() + " " + System.getProperty("java.version"));
        String line;
        while ((line = in.readLine()) != null) {
            double x = Double.longBitsToDouble(Long.parseUnsignedLong(line, 16));
            out.println(line + "\t" + Double.toString(x));
        }
        out.flush();
    }
}
