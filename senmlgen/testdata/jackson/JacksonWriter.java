// Writes packs as the platform's JVM does, with Jackson, for TestJacksonWritesTheSameBytes.
// Each line of standard input is one request, answered by one line on standard output:
//   D <bits>      Double.toString of the double with these IEEE 754 bits (hex)
//   P <records>   the hex of ObjectMapper.writeValueAsBytes of the pack: records are separated
//                 by spaces, members by commas, each member key:type:value, where type s is a
//                 string (value: hex of its UTF-8 bytes), d a double (hex bits), b a boolean (0/1).
//   V             the JVM's version
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public class JacksonWriter {
    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("V")) {
                out.println(System.getProperty("java.version"));
            } else if (line.startsWith("D ")) {
                out.println(Double.toString(Double.longBitsToDouble(Long.parseUnsignedLong(line.substring(2), 16))));
            } else if (line.startsWith("P ")) {
                ArrayNode pack = mapper.createArrayNode();
                for (String record : line.substring(2).split(" ")) {
                    ObjectNode o = pack.addObject();
                    for (String member : record.split(",")) {
                        String[] kv = member.split(":", 3);
                        switch (kv[1]) {
                            case "s":
                                o.put(kv[0], new String(unhex(kv[2]), StandardCharsets.UTF_8));
                                break;
                            case "d":
                                o.put(kv[0], Double.longBitsToDouble(Long.parseUnsignedLong(kv[2], 16)));
                                break;
                            default:
                                o.put(kv[0], kv[2].equals("1"));
                        }
                    }
                }
                StringBuilder hex = new StringBuilder();
                for (byte b : mapper.writeValueAsBytes(pack)) {
                    hex.append(String.format("%02x", b));
                }
                out.println(hex);
            }
        }
        out.flush();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
