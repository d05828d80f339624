module example.com/Upper/caps

go 1.19

require example.com/num v1.0.0
