fn main() {
    println!("staydown");
}
