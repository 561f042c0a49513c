// A receiver as a Jackson-based integration is written: the body read into a tree, the token
// checked over what Jackson writes back. It works with everything the platform sends, because
// Jackson reproduces Jackson's bytes. Prints its port, then serves.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

public class JacksonReceiver {
    public static void main(String[] args) throws Exception {
        byte[] secret = args[0].getBytes(StandardCharsets.UTF_8);
        ObjectMapper mapper = new ObjectMapper();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            int status = 200;
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                JsonNode pack = mapper.readTree(body);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(mapper.writeValueAsBytes(pack));
                sha.update(secret);
                StringBuilder hex = new StringBuilder();
                for (byte b : sha.digest()) {
                    hex.append(String.format("%02x", b));
                }
                String token = exchange.getRequestHeaders().getFirst("Things-Message-Token");
                if (!hex.toString().equals(token)) {
                    status = 401;
                }
            } catch (Exception e) {
                status = 400;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        System.out.println(server.getAddress().getPort());
        System.out.flush();
    }
}
