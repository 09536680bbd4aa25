//! The owners' side in the seller's language: a shop whose language is Spanish
//! gets every notice, command answer, `/stats` and the report page in Spanish;
//! `[owners] language` picks another; `[owner_texts.LANG]` overrides a phrase;
//! the command words stay as typed (translated status words are read too).

#[path = "owner_language/bot.rs"]
mod bot;
mod support;

use bot::{Bot, owner_notices, shop_file, to_owner};
use shopbot::channel::Channel::Telegram;
use shopbot::shop::Shop;
use support::temp_db;

#[test]
fn a_spanish_shop_speaks_spanish_to_its_owners() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "es", "", "");
    tickets_in_spanish(&mut bot);
    orders_in_spanish(&mut bot);
    figures_in_spanish(&bot);
}

/// A ticket: the notice, its button, the relay, the ticket commands.
fn tickets_in_spanish(bot: &mut Bot) {
    assert_eq!(bot.owner("/tickets"), "No hay consultas abiertas.");

    // A ticket: the notice, its button, then a relayed message.
    let cust = "222";
    bot.say(cust, "/start");
    bot.say(cust, "¿vendéis naves espaciales {n} a Marte?");
    let sent = bot.press(cust, "human");
    let notices = owner_notices(&sent);
    assert_eq!(notices.len(), 1);
    let notice = &notices[0].reply;
    let lines: Vec<&str> = notice.text.lines().collect();
    assert_eq!(lines[0], "🎫 Consulta #1 — Telegram · Ana Pop (@ana)");
    assert_eq!(lines[1], "Pregunta: ¿vendéis naves espaciales {n} a Marte?");
    assert!(lines.contains(&"Carrito: vacío"), "{}", notice.text);
    assert!(lines.contains(&"Últimos mensajes:"), "{}", notice.text);
    assert_eq!(
        lines.last().copied(),
        Some(
            "Responde a este mensaje (o a cualquier 💬 #1) para contestar, o envía /reply 1 tu respuesta. /close 1 la cierra."
        )
    );
    assert_eq!(notice.buttons[0].label, "Cerrar #1");
    assert_eq!(notice.buttons[0].id, "o:close:1");
    let relay = to_owner(&bot.say(cust, "Es para mi hijo"));
    assert_eq!(relay, "💬 #1 · Ana Pop (@ana): Es para mi hijo");

    // Ticket commands.
    assert_eq!(
        bot.owner("/tickets"),
        "Consultas abiertas (1):\n#1 · Telegram · Ana Pop (@ana) — ¿vendéis naves espaciales {n} a Marte?"
    );
    assert_eq!(
        bot.owner("/reply 1 ¡Todavía no!"),
        "✓ Enviado a la consulta #1."
    );
    assert_eq!(
        bot.owner("/reply 7 hola"),
        "No existe la consulta #7. /tickets muestra las abiertas."
    );
    assert_eq!(
        bot.owner("/reply 1"),
        "Escríbelo así: /reply N tu respuesta"
    );
    assert_eq!(
        bot.owner("/close 1"),
        "Consulta #1 cerrada. Ana Pop (@ana) vuelve con el bot."
    );
    assert_eq!(bot.owner("/close 1"), "La consulta #1 ya está cerrada.");
}

/// An order: the notice and its buttons, /orders, /order, /status, /stock,
/// /pause, /help, /stats.
fn orders_in_spanish(bot: &mut Bot) {
    let sent = bot.order_as("333");
    let notice = &owner_notices(&sent)[0].reply;
    assert!(
        notice.text.starts_with(
            "🛒 Pedido nuevo #1001 — Telegram · Ana Pop (@ana)\n1 × Castillo del caballero — 45,00 €\nEnvío: Courier — 4,90 €\nTotal: 49,90 € · Pago: Cash on delivery\n"
        ),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("\nTotal: "), "{}", notice.text);
    assert!(notice.text.contains(" · Pago: "), "{}", notice.text);
    assert!(notice.text.contains("\nEnvío: "), "{}", notice.text);
    let labels: Vec<&str> = notice.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Pagado", "Enviado", "Entregado", "Cancelar"]);
    let orders = bot.owner("/orders");
    assert!(
        orders.starts_with("Pedidos (1, los más recientes primero):\n#1001 · nuevo · "),
        "{orders}"
    );
    assert!(orders.ends_with(" · 1 artículo(s) · Ana Pop"), "{orders}");
    assert!(
        bot.owner("/order 1001")
            .starts_with("Pedido #1001 — nuevo · Telegram\n")
    );
    assert_eq!(bot.owner("/order 999"), "No existe el pedido #999.");
    assert_eq!(
        bot.owner("/status 1001"),
        "Escríbelo así: /status N paid|shipped|delivered|cancelled [seguimiento]"
    );
    // The command word, or the status as the owners read it.
    assert_eq!(
        bot.owner("/status 1001 enviado DHL 42"),
        "Pedido #1001: enviado — cliente avisado."
    );
    assert_eq!(bot.status("1001"), "shipped");
    assert_eq!(
        bot.owner("/status 1001 shipped"),
        "El pedido #1001 ya está enviado."
    );
    assert!(
        bot.owner("/order 1001")
            .starts_with("Pedido #1001 — enviado · Telegram · seguimiento DHL 42\n")
    );
    assert_eq!(
        bot.owner("/status 1001 Entregado"),
        "Pedido #1001: entregado — cliente avisado."
    );
    assert_eq!(
        bot.owner("/status 1001 cancelled"),
        "El pedido #1001 está entregado: su estado ya no puede cambiar."
    );
    assert!(
        bot.owner("/orders entregado")
            .contains("#1001 · entregado · ")
    );

    // Stock, pause, help.
    assert_eq!(
        bot.owner("/stock castle 9"),
        "Stock de Knight's Castle: 9 (antes 4)."
    );
    assert_eq!(
        bot.owner("/stock truck 1"),
        "`truck` tiene variantes; indica una: /stock truck:red|blue N"
    );
    assert!(
        bot.owner("/pause")
            .starts_with("En pausa (modo vacaciones): ")
    );
    assert_eq!(
        bot.owner("/resume"),
        "Reanudado: las consultas se atienden como siempre."
    );
    let help = bot.owner("/help");
    assert!(help.starts_with("Comandos del dueño:\n/tickets — consultas abiertas\n"));
    assert!(help.contains("\n/orders [new|paid|shipped|delivered|cancelled] — últimos pedidos\n"));

    // /stats
    let stats = bot.owner("/stats");
    assert!(
        stats.starts_with("Test Bricks — los últimos 30 día(s)\n\ncanal "),
        "{stats}"
    );
    assert!(
        stats.contains("\nPedidos vigentes (no cancelados): 1 · ingresos "),
        "{stats}"
    );
    assert!(stats.contains("\nConsultas contestadas: 1 · mediana hasta la primera respuesta: "));
    assert!(
        stats.contains("\nMás vendidos:\n 1. Castillo del caballero — vendidos: 1, 45,00 €"),
        "{stats}"
    );
    assert!(stats.contains("   50,0%      49,90 €"), "{stats}");
    assert!(!stats.contains("Orders kept"), "{stats}");
}

/// The report page.
fn figures_in_spanish(bot: &Bot) {
    let html = bot.report(7);
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("<title>Test Bricks — cifras del 2026-11-19 al 2026-11-25</title>"));
    assert!(html.contains(
        "<p class=\"period\">Cifras de los últimos 7 días: del <time datetime=\"2026-11-19\">2026-11-19</time> al <time datetime=\"2026-11-25\">2026-11-25</time> (Europe/Madrid), a fecha de 2026-11-25 "
    ), "{html}");
    for label in [
        "<h2>Por canal</h2>",
        "<td>50,0 %</td>",
        "<th scope=\"col\">Canal</th>",
        "<th scope=\"col\">Buscador iniciado</th>",
        "<th scope=\"col\">Pidieron una persona</th>",
        "<span class=\"label\">Pedidos vigentes</span>",
        "<span class=\"label\">Ingresos</span><span class=\"value\">49,90 €</span>",
        "<h2>Embudo</h2>",
        "<h2>Pedidos por día</h2>",
        "<h2>Ingresos por día</h2>",
        "<h2>Más vendidos</h2>",
        "<th scope=\"col\">Unidades vendidas</th>",
        "<h2>Preguntas que el bot no entendió</h2>",
        "<h2>Atención a los clientes</h2>",
        "<p>Consultas contestadas: <strong>1</strong>. Mediana hasta la primera respuesta: <strong class=\"median\">",
        ">25 nov</text>",
        "Embudo de telegram: hasta dónde llegaron los clientes",
    ] {
        assert!(html.contains(label), "{label} not in the page");
    }
    for english in [
        "Per channel",
        "Best sellers",
        "Orders per day",
        "Figures for",
        "Nov 25",
    ] {
        assert!(!html.contains(english), "{english} left in the page");
    }
}

#[test]
fn owners_language_may_differ_from_the_shops_romanian_spot_checks() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "en", "language = \"ro\"", "");
    assert_eq!(bot.owner("/tickets"), "Nicio solicitare deschisă.");
    assert_eq!(bot.owner("/orders"), "Nicio comandă.");
    assert!(
        bot.owner("/help")
            .starts_with("Comenzile proprietarului:\n")
    );
    // The customer still hears English: only the owners' side is Romanian.
    let sent = bot.say("222", "/start");
    assert!(
        sent.iter().any(|s| s.out.reply.text.contains("Welcome")),
        "customer side stays English"
    );
    let sent = bot.press("222", "human");
    let notice = &owner_notices(&sent)[0].reply;
    assert!(
        notice.text.starts_with("🎫 Solicitarea #1 — Telegram · "),
        "{}",
        notice.text
    );
    assert!(
        notice.text.contains("\nA cerut să vorbească cu un om.\n"),
        "{}",
        notice.text
    );
    assert_eq!(notice.buttons[0].label, "Închide #1");
    let sent = bot.order_as("333");
    let labels: Vec<&str> = owner_notices(&sent)[0]
        .reply
        .buttons
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(labels, ["Plătită", "Expediată", "Livrată", "Anulează"]);
    assert_eq!(
        bot.owner("/status 1001 anulată"),
        "Comanda #1001: anulată — clientul a fost anunțat. Stocul ei este din nou de vânzare."
    );
    assert_eq!(bot.status("1001"), "cancelled");
    let html = bot.report(7);
    assert!(html.contains("<html lang=\"ro\">"));
    assert!(html.contains("<h2>Pe canale</h2>"));
    assert!(html.contains(">25 nov.</text>"));
    assert!(html.contains("<p class=\"note\">Nicio comandă în această perioadă.</p>"));
}

#[test]
fn an_override_replaces_an_owner_phrase() {
    let db = temp_db();
    let tail = "[owner_texts.es]\nno_open_tickets = \"Nada pendiente 🎉\"\n\
                relay = \"✉️ {customer} (#{n}) dice: {text}\"\n\
                [owner_texts.ro]\nno_open_tickets = \"Unused while the owners read Spanish\"\n";
    let mut bot = Bot::new(&db, "es", "", tail);
    assert_eq!(bot.owner("/tickets"), "Nada pendiente 🎉");
    bot.press("222", "human");
    assert_eq!(
        to_owner(&bot.say("222", "hola {text}")),
        "✉️ Ana Pop (@ana) (#1) dice: hola {text}"
    );
    // Untouched phrases stay Spanish.
    assert_eq!(bot.owner("/orders"), "No hay pedidos.");
}

#[test]
fn a_broken_owner_override_is_refused_with_its_place() {
    let db = temp_db();
    let path = shop_file(
        db.dir.path(),
        "es",
        "language = \"de\"",
        "[owner_texts.es]\nticket_title = \"🎫 {customer}\"\nno_open_ticket = \"x\"\n",
    );
    let Err(errors) = Shop::load(&path) else {
        panic!("a broken override must be refused");
    };
    let errors = errors.to_string();
    let file = path.display().to_string();
    let lines: Vec<&str> = errors.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with(&file)
            && l.contains(": owners.language: unsupported language \"de\"")),
        "{errors}"
    );
    let src = std::fs::read_to_string(&path).unwrap();
    let line = src
        .lines()
        .position(|l| l.starts_with("ticket_title"))
        .unwrap()
        + 1;
    assert!(
        lines.contains(&format!(
            "{file}:{line}:16: owner_texts.es.ticket_title: lost placeholder `{{n}}` — keep `{{n}}` in the text: the bot fills it in"
        ).as_str()),
        "{errors}"
    );
    assert!(
        lines.contains(&format!(
            "{file}:{}:1: owner_texts.es.no_open_ticket: unknown phrase — did you mean `no_open_tickets`?",
            line + 1
        ).as_str()),
        "{errors}"
    );
}

#[test]
fn reload_answers_in_the_owners_language_of_the_shop_that_runs_after() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "es", "", "");
    let path = db.dir.path().join("shop.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, good.replace("price = 45.00", "price = \"mucho\"")).unwrap();
    let answer = bot.owner("/reload");
    let file = path.display().to_string();
    assert!(
        answer.starts_with(&format!(
            "{file} tiene problemas; la tienda sigue funcionando como antes:\n{file}:"
        )),
        "{answer}"
    );
    assert!(answer.contains(": products[0].price: "), "{answer}");
    // A good file that switches the owners to Romanian: said in Romanian.
    let products = bot.engine.shop().products().len();
    let categories = bot.engine.shop().categories().len();
    std::fs::write(
        &path,
        good.replace("matrix = []\n", "matrix = []\nlanguage = \"ro\"\n"),
    )
    .unwrap();
    assert_eq!(
        bot.owner("/reload"),
        format!("Reîncărcat {file}: {products} produse, {categories} categorii.")
    );
    assert_eq!(bot.owner("/tickets"), "Nicio solicitare deschisă.");
}

#[test]
fn every_other_notice_in_spanish() {
    use shopbot::owner;
    let db = temp_db();
    let bot = Bot::new(&db, "es", "", "");
    let shop = bot.engine.shop();
    let text = |n: owner::Notice| n.reply.text;
    assert_eq!(
        text(owner::paid_notice(shop, "1001")),
        "💳 El pedido #1001 se pagó en el chat."
    );
    assert_eq!(
        text(owner::feedback_notice(shop, "1001", "Ana", Some(4), None)),
        "⭐⭐⭐⭐ para el pedido #1001 de Ana."
    );
    assert_eq!(
        text(owner::feedback_notice(
            shop,
            "1001",
            "Ana",
            None,
            Some("¡Genial! {number}")
        )),
        "💬 Comentario sobre el pedido #1001 de Ana: ¡Genial! {number}\n\
         Se muestra en las fichas de producto; para quitarlo: /hide-review 1001"
    );
    assert_eq!(
        text(owner::flood_notice(shop, Telegram, "Ana", 12)),
        "⚠️ Control de abusos: un cliente en Telegram (Ana) está enviando demasiados mensajes; 12 ignorados hasta ahora. Como mucho un aviso así por minuto."
    );
    assert!(
        text(owner::turn_failed_notice(shop, Telegram, "Ana", 3, "boom")).starts_with(
            "⚠️ No se pudo procesar un mensaje de un cliente en Telegram (Ana) tras 3 intentos; "
        )
    );
}

#[test]
fn the_customer_closing_their_ticket_is_told_in_spanish() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "es", "", "");
    bot.say("222", "/start");
    bot.press("222", "human");
    let sent = bot.press("222", "endticket");
    assert_eq!(
        to_owner(&sent),
        "El cliente cerró la consulta #1 (Ana Pop (@ana))."
    );
}

/// A seller's override is text, never markup: the report page escapes it,
/// also inside the phrases whose values the page wraps in elements.
#[test]
fn overrides_cannot_bring_markup_into_the_report() {
    let db = temp_db();
    let tail = "[owner_texts.en]\nreport_per_channel = \"<script>alert(1)</script>\"\n\
                report_period = \"<img src=x> {days} days: {first} → {last} ({zone}) {as_of}\"\n\
                footer = \"</p><a href='//evil'>x</a>\"\n";
    let bot = Bot::new(&db, "en", "", tail);
    let html = bot.report(7);
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<a "));
    assert!(
        html.contains("<h2>&#60;script&#62;alert(1)&#60;/script&#62;</h2>"),
        "{html}"
    );
    assert!(html.contains(
        "<p class=\"period\">&#60;img src=x&#62; 7 days: <time datetime=\"2026-11-19\">2026-11-19</time> → <time datetime=\"2026-11-25\">2026-11-25</time> (Europe/Madrid) 2026-11-25 "
    ), "{html}");
    assert!(
        html.contains(
            "<p class=\"note\">&#60;/p&#62;&#60;a href=&#39;//evil&#39;&#62;x&#60;/a&#62;</p>"
        ),
        "{html}"
    );
}
