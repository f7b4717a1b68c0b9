describe "users" do
end
