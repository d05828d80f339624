fn main() {
    println!("{}", kettle_fx_alpha::alpha() + kettle_fx_beta::beta() + kettle_fx_gamma::gamma());
}
